"""Names given in self-introductions are masked; the words after 我是/我叫 that are not names are not."""

from __future__ import annotations

import pytest

from processors.pii import mask_pii


def names(text: str) -> list[str]:
    """The original substrings masked as NAME."""
    return [text[e.start : e.end] for e in mask_pii(text).entities if e.type == "NAME"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我叫王小明", ["王小明"]),  # 小 used to end a name, so nothing was masked
        ("我叫王小明，电话多少", ["王小明"]),
        ("我是王小明先生", ["王小明"]),
        ("我是刘小花，订单怎么还没到", ["刘小花"]),
        ("我姓王", ["王"]),
        ("我姓欧阳", ["欧阳"]),
        ("本人李小红", ["李小红"]),
        ("联系人：王小明", ["王小明"]),
        ("联系人：王小明，电话13812345678", ["王小明"]),
        ("收件人王小明", ["王小明"]),
        ("收货人：司马小龙", ["司马小龙"]),
        ("姓名：王小明", ["王小明"]),
        ("名字是王小明", ["王小明"]),
        ("我的名字是王小明", ["王小明"]),
        ("我叫王老五", ["王老五"]),
        ("王小明先生您好", ["王小明"]),
        ("我是欧阳小芳女士", ["欧阳小芳"]),
        ("我是陈小姐", ["陈"]),
        ("王小姐你好", ["王"]),
        ("联系人张老先生", ["张"]),
        ("my name is John Smith", ["John Smith"]),
    ],
)
def test_self_introduced_names_are_masked(text: str, expected: list[str]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("谢谢王先生", ["王"]),  # 谢 and 麻 are surnames: the lead word used to be masked with the name
        ("麻烦王先生", ["王"]),
        ("感谢李经理！", ["李"]),
        ("辛苦王师傅", ["王"]),
        ("由于王先生不在", ["王"]),  # 于王 is rejected, then 王 is found
        ("值班经理不在", []),  # 班 is a surname, 值班 a word
        ("我已经向大堂经理投诉了", []),
        ("班主任老师说可以", []),  # 班 and 任 are surnames; 班主 and 主任 are words
        ("语文老师推荐的", []),
    ],
)
def test_honorifics_mask_the_name_only(text: str, expected: list[str]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "我是新用户",
        "我是会员",
        "我叫快递",
        "我叫快递员上门取件了",
        "我是学生",
        "我是王者荣耀玩家",
        "我是王者",
        "我是张家界的",
        "我是高级会员",
        "我是黄金会员",
        "我是商家，怎么开通花呗",
        "我是顾客",
        "我是房东",
        "我是车主",
        "我是管理员",
        "我是程序员",
        "我是高中生",
        "我是华为用户",
        "我是华为",
        "我是江西人",
        "我是安徽人",
        "我是成都人",
        "我是江苏的",
        "这是管理员",
        "这是白色",  # 这是 is followed by things, not people
        "这是金额",
        "这是宋体",
        "我是路过",
        "我是付款，然后呢",
        "我叫师傅上门",
        "我叫安静",
        "日本人韩国人入住",
        "名字是金山大酒店",
    ],
)
def test_words_after_introduction_cues_are_not_names(text: str) -> None:
    assert names(text) == []
