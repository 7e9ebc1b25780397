"""Personal names found by cue words and honorifics (rules only; no model, so it stays fast).

Chinese: a cue (我叫, 联系人, 收件人 ...) followed by a surname and one or two given-name characters, an
honorific (张先生, 王女士 -> only the name is masked) or 我姓X. English: a cue (my name is, name:) or a
title (Mr., Ms.) followed by capitalised words. A bare name with no cue is not detected: without a
statistical model the precision cost would be too high.
"""

from __future__ import annotations

import re

from .entities import Candidate
from .surnames import COMPOUND_SURNAMES, SINGLE_SURNAMES

PRIORITY_NAME = 10

_SURNAME = "(?:" + "|".join(COMPOUND_SURNAMES) + "|[" + "".join(sorted(set(SINGLE_SURNAMES))) + "])"
# Characters that end a name: function words, verbs and nouns that typically follow one in a message.
_STOP = "的是在了吗呢吧啊呀哦想要请帮和与跟及或我你他她您住先女小老经总师已说电手"
# Words that follow a name in a message and whose first character could be a given-name character.
_STOP_WORDS = "明天|今天|昨天|地址|号码|家里|现在|这边|需要|订单|快递|会员|手机|电话|刚才|一直|上次"
_GIVEN = "(?:(?!" + _STOP_WORDS + ")(?![" + _STOP + "])[\u4e00-\u9fff])"
_END = r"(?=$|[\s,.;:!?，。；：！？、()（）\"'0-9A-Za-z]|[" + _STOP + "]|" + _STOP_WORDS + ")"

_STRONG_CUE = (
    "实名信息|真实姓名|实名|我叫|名字叫|名字是|叫做|姓名|联系人|收件人|收货人|寄件人|持卡人|开户名|户名|本人"
    "|签收人|乘机人|入住人|机主"
)
_ZH_STRONG = re.compile(r"(?:" + _STRONG_CUE + r")(?:是|为|叫)?[:\s]*(" + _SURNAME + _GIVEN + r"{1,2})" + _END)
# 我是/这是 are followed by far more non-names (我是江西的, 我是高级会员) than names, so the name must
# end the clause.
_ZH_WEAK = re.compile(r"(?:我是|这是)(" + _SURNAME + _GIVEN + r"{1,2})(?=$|[\s,.;:!?、]|先生|女士|小姐)")
_ZH_HONORIFIC = re.compile(
    r"(" + _SURNAME + _GIVEN + r"{0,2}?)(?=先生|女士|小姐|老师|经理|师傅|阿姨|大哥|大姐|同学|医生|律师)"
)
# A contact line: "邵雨，159 1697 8464" (a name right before a phone or ID number, at a segment start).
_ZH_BEFORE_NUMBER = re.compile(r"(?:^|(?<=[\s,:;.!?、]))(" + _SURNAME + _GIVEN + r"{1,2})[,\s]+(?=[+\d])")
_ZH_SURNAME_ONLY = re.compile(r"(?:我|本人|免贵)姓(" + _SURNAME + r")")
_HONORIFIC_HINT = re.compile("先生|女士|小姐|老师|经理|师傅|阿姨|大哥|大姐|同学|医生|律师")
_ZH_RULES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (_ZH_STRONG, re.compile(_STRONG_CUE)),
    (_ZH_WEAK, re.compile("我是|这是")),
    (_ZH_HONORIFIC, _HONORIFIC_HINT),
    (_ZH_SURNAME_ONLY, re.compile("姓")),
    (_ZH_BEFORE_NUMBER, re.compile(r"\d")),
)
_ASCII_LETTER = re.compile("[A-Za-z]")
_NOT_NAMES = frozenset(["谢谢", "好的", "高级", "金卡", "白金", "黄金", "万一", "周末", "常用", "高兴", "方便"])

_EN_WORD = r"[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)?"
_EN_CUE = re.compile(
    r"(?i:\bmy name is|\bmy name's|\bname\s*[:=]|\bthis is|\bi am|\bi'm|\bcontact(?: person)?\s*[:=]?"
    r"|\brecipient\s*[:=]?|\bcardholder\s*[:=]?|\bsigned,?|\bregards,?)\s+"
    r"(" + _EN_WORD + r"(?: " + _EN_WORD + r"){0,2})"
)
_EN_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.? (" + _EN_WORD + r"(?: " + _EN_WORD + r")?)")
_EN_STOP = frozenset(
    [
        "The",
        "A",
        "An",
        "I",
        "It",
        "This",
        "That",
        "My",
        "Your",
        "Our",
        "Very",
        "Not",
        "Just",
        "So",
        "Really",
        "Still",
        "Also",
        "Here",
        "There",
        "Calling",
        "Writing",
        "Looking",
        "Trying",
        "Going",
        "Having",
        "Getting",
        "Sorry",
        "Happy",
        "Unable",
        "Able",
        "About",
        "Regarding",
        "Order",
        "Customer",
        "Interested",
        "Done",
        "Ok",
        "Okay",
        "Fine",
        "Good",
        "Glad",
        "Please",
        "Thanks",
        "Thank",
        "Hi",
        "Hello",
        "Dear",
        "Sure",
        "Yes",
        "No",
        "New",
        "Back",
        "Waiting",
        "Currently",
        "From",
        "With",
        "For",
        "On",
        "In",
        "At",
        "To",
        "And",
        "But",
        "Or",
        "Amazon",
        "Apple",
        "Google",
        "Support",
        "Service",
        "Team",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Gold",
        "Silver",
        "Premium",
        "Vip",
        "VIP",
    ]
)


def _english_name(value: str, offset: int) -> tuple[int, int] | None:
    """Trim trailing stop words; reject a name whose first word is a stop word."""
    words = value.split(" ")
    while words and words[-1] in _EN_STOP:
        words.pop()
    if not words or words[0] in _EN_STOP:
        return None
    return offset, offset + len(" ".join(words))


def find_names(text: str) -> list[Candidate]:
    """Cue- and honorific-based Chinese and English personal names.

    Examples
    --------
    >>> [c[:3] for c in find_names("我叫张伟，收件人欧阳娜娜")]
    [('NAME', 2, 4), ('NAME', 8, 12)]
    >>> [c[:3] for c in find_names("请王先生回电")]
    [('NAME', 1, 2)]
    >>> [c[:3] for c in find_names("Hi, my name is John Smith.")]
    [('NAME', 15, 25)]
    >>> find_names("我是高级会员")
    []
    """
    found: list[Candidate] = []
    if not text.isascii():
        # Each rule needs a literal cue; a cheap search for it skips most messages.
        rules = [regex for regex, hint in _ZH_RULES if hint.search(text)]
        for regex in rules:
            for match in regex.finditer(text):
                name = match.group(1)
                if name in _NOT_NAMES:
                    continue
                found.append(Candidate("NAME", match.start(1), match.end(1), name, PRIORITY_NAME))
    for regex in (_EN_CUE, _EN_TITLE) if _ASCII_LETTER.search(text) else ():
        for match in regex.finditer(text):
            span = _english_name(match.group(1), match.start(1))
            if span is not None:
                key = text[span[0] : span[1]].lower()
                found.append(Candidate("NAME", span[0], span[1], key, PRIORITY_NAME))
    return found
