"""Chinese surnames used by the name rules (data only).

Single-character surnames that are also everyday function words (和, 但, 都, 那 ...) are left out: after a
cue such as 我是 they would turn ordinary phrases into names.
"""

from __future__ import annotations

COMPOUND_SURNAMES: tuple[str, ...] = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "轩辕",
    "令狐",
    "端木",
    "独孤",
    "南宫",
    "西门",
    "百里",
    "呼延",
    "澹台",
    "公冶",
    "太史",
    "申屠",
)

SINGLE_SURNAMES: str = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫"
    "孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童"
    "凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农卓古吉缪简车项连芦"
    "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩"
    "佘池查麻苑迟邝封谈匡鞠惠荆冀郁胥班储栗燕楚鄢劳谌奚皮粟冼蔺楼满闻厉仝郜阚权帅屠朴盖练廉禹井祖漆"
    "巴丰卿狄晋芮扈晁阙浦戈伏鹿薄邸雍辜羊裘亓修邰赫杭况逯茹诸慕亢嵇湛宾戎勾茅揭尉檀幸奉衡尧洪吕邓"
)
