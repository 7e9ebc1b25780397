"""Common words that begin or end with a surname character, and words said right before a name (data only).

After a cue (我是, 我叫, 收件人 ...) a surname character followed by one or two more is usually a name, but
roles, places, brands and membership tiers start with surname characters too (商家, 管理员, 江苏, 华为, 黄金会员).
Real given names that are also words (高明, 文明, the 张家 of 张家辉) are deliberately absent: a cue in front
of them is evidence enough, and a place followed by 人/的 (我是江西人, 我是张家界的) is already cut by the
rules themselves.
"""

from __future__ import annotations

_WORDS = """
商家 商户 房东 房客 房间 安装 诸位 车主 管理 程序 单身 全职 高中 应届 毕业 文科 党员 常客 游客 黄牛
师傅 师父 师兄 师姐 师妹 师弟 包工 包月 包年 包邮 代购 单位 高手 江湖 游戏 施工 司机 向导 邮递 顾客
帅哥 主管 值班 当班 晚班 维修 导游 客房 卫生 班主 主任 语文 历史
高级 金卡 白金 黄金 金牌 银牌 铜牌 白银 青铜 黄钻 蓝钻 紫钻 钻石
华为 荣耀 王者 苏宁 万达 华润 惠普 戴尔 丰田 兰蔻 欧莱 雷克
韩国 江西 江苏 安徽 宁夏 甘肃 吉林 杭州 成都 常州 武汉 苏州 徐州 郑州 温州 宁波 沈阳 兰州 唐山
相关 携程 由于 尽管 非常 夏天 收钱 关上 谢谢 万一 周末 常用 高兴 方便 安静 安全 曾经 成功 向前 于是
严重 陆续 余额 古驰 汤臣 钱包 童装 路由 付款 童鞋 路过 常识 白色 黄色 金色 金额 向来 凑单
"""
# Lines: roles and kinds of customer; membership tiers; brands and shops; places a customer says they are
# from; everyday words (many seen before 经理/小姐 in hotel and shop reviews: 值班经理, 携程小姐).

NOT_NAME_WORDS: frozenset[str] = frozenset(_WORDS.split())
"""Two-character words: a candidate that equals one, starts with one, or whose surname character ends one
(值班经理: 班 is a surname) is rejected."""

LEAD_WORDS: tuple[str, ...] = ("谢谢", "多谢", "感谢", "麻烦", "辛苦", "通知", "转告", "尊敬的")
"""Words said right before 王先生 that would otherwise be read as part of the name (谢 and 麻 are surnames)."""
