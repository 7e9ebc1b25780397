"""Personal names found by cue words and honorifics (rules only; no model, so it stays fast).

Chinese: a cue (我叫, 联系人, 收件人 ...) followed by a surname (single or compound) and one or two
given-name characters, an honorific (张先生, 王女士 -> only the name is masked) or 我姓X. Candidates that
are common words starting with a surname character (商家, 华为, 江苏: :mod:`.not_names`) are dropped, and a
lead word the span begins in is cut off (感谢王老师 -> 王). English: a cue (my name is, name:) or a title
(Mr., Ms.) followed by capitalised words. A bare name with no cue is not detected: without a statistical
model the precision cost would be too high.
"""

from __future__ import annotations

import re

from .entities import Candidate
from .not_names import LEAD_WORDS, NOT_NAME_WORDS
from .surnames import COMPOUND_SURNAMES, SINGLE_SURNAMES

PRIORITY_NAME = 10

_SURNAME = "(?:" + "|".join(COMPOUND_SURNAMES) + "|[" + "".join(sorted(set(SINGLE_SURNAMES))) + "])"
# Characters that end a name: function words, verbs and nouns that typically follow one in a message.
# 小 and 老 are NOT here: they start given names (王小明, 王老五); 小姐/老师 are in _STOP_WORDS instead.
# 人员户党粉迷族部姓 end role words (江西人, 管理员, 华为粉, 客房部, 梁姓经理), almost never a given name.
_STOP = "的是在了吗呢吧啊呀哦想要请帮和与跟及或我你他她您住先女经总师已说电手人员户党粉迷族部姓"
# Words that follow a name in a message and whose first character could be a given-name character.
_STOP_WORDS = (
    "明天|今天|昨天|地址|号码|家里|现在|这边|需要|订单|快递|会员|手机|电话|刚才|一直|上次"
    "|小姐|老师|老板|老公|老婆|老家|老人|老先生|老太太"
)
# Words a given name never contains but that may follow a name without ending it (向大堂经理, 金山大酒店).
_NOT_GIVEN_WORDS = "大堂|酒店|前台|前厅|客房|值班"
_GIVEN = "(?:(?!" + _STOP_WORDS + "|" + _NOT_GIVEN_WORDS + ")(?![" + _STOP + "])[\u4e00-\u9fff])"
_END = r"(?=$|[\s,.;:!?，。；：！？、()（）\"'0-9A-Za-z]|[" + _STOP + "]|" + _STOP_WORDS + ")"

_STRONG_CUE = (
    "实名信息|真实姓名|实名|我叫做|我叫|名字叫|名字是|姓名|联系人|收件人|收货人|寄件人|持卡人|开户名|户名|本人"
    "|签收人|乘机人|入住人|机主"
)
_ZH_STRONG = re.compile(r"(?:" + _STRONG_CUE + r")(?:是|为|叫)?[:\s]*(" + _SURNAME + _GIVEN + r"{1,2})" + _END)
# 我是 is followed by far more non-names (我是江西的, 我是高级会员) than names, so the name must end the
# clause. 这是 is not a cue: what follows it is nearly always a thing (这是白色, 这是金额, 这是宋体); 这是王先生 is
# still found by the honorific rule.
_ZH_WEAK = re.compile(r"我是(" + _SURNAME + _GIVEN + r"{1,2})(?=$|[\s,.;:!?、]|先生|女士|小姐)")
_HONORIFICS = "老先生|老太太|先生|女士|小姐|老师|经理|师傅|阿姨|大哥|大姐|同学|医生|律师"
_ZH_HONORIFIC = re.compile(r"(" + _SURNAME + _GIVEN + r"{0,2}?)(?=" + _HONORIFICS + ")")
# A contact line: "邵雨，159 1697 8464" (a name right before a phone or ID number, at a segment start).
_ZH_BEFORE_NUMBER = re.compile(r"(?:^|(?<=[\s,:;.!?、]))(" + _SURNAME + _GIVEN + r"{1,2})[,\s]+(?=[+\d])")
_ZH_SURNAME_ONLY = re.compile(r"(?:我|本人|免贵)姓(" + _SURNAME + r")")
_HONORIFIC_HINT = re.compile(_HONORIFICS)
_ZH_RULES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (_ZH_STRONG, re.compile(_STRONG_CUE)),
    (_ZH_WEAK, re.compile("我是")),
    (_ZH_HONORIFIC, _HONORIFIC_HINT),
    (_ZH_SURNAME_ONLY, re.compile("姓")),
    (_ZH_BEFORE_NUMBER, re.compile(r"\d")),
)
_SURNAME_AT = re.compile(_SURNAME)
_LEAD_CHARACTERS = frozenset("".join(LEAD_WORDS))
_ASCII_LETTER = re.compile("[A-Za-z]")

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


def _after_lead_word(text: str, start: int, end: int) -> int:
    """Where the name starts once a lead word that the span begins in is dropped (感谢王 -> 王, 谢谢王 -> 王)."""
    if text[start] not in _LEAD_CHARACTERS:  # most names start with 王, 李 ...: nothing to strip
        return start
    for lead in LEAD_WORDS:
        for inside in range(len(lead), 0, -1):  # how many of the lead's characters the span begins with
            lead_start = start + inside - len(lead)
            if lead_start >= 0 and start + inside <= end and text.startswith(lead, lead_start):
                return start + inside
    return start


def _chinese_name(text: str, start: int, end: int) -> Candidate | None:
    start = _after_lead_word(text, start, end)
    if start == end or not _SURNAME_AT.match(text, start, end):
        return None
    name = text[start:end]
    # 商家, 管理员, 华为 are words, not a surname and a given name; so is 值班 in 值班经理 (班 is a surname).
    if name[:2] in NOT_NAME_WORDS or text[start - 1 : start + 1] in NOT_NAME_WORDS:
        return None
    return Candidate("NAME", start, end, name, PRIORITY_NAME)


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
    >>> [c[:3] for c in find_names("我叫王小明，感谢李老师")]
    [('NAME', 2, 5), ('NAME', 8, 9)]
    >>> find_names("我是高级会员") + find_names("我是新用户") + find_names("我是商家") + find_names("我叫快递")
    []
    """
    found: list[Candidate] = []
    if not text.isascii():
        # Each rule needs a literal cue; a cheap search for it skips most messages.
        rules = [regex for regex, hint in _ZH_RULES if hint.search(text)]
        for regex in rules:
            position = 0
            while match := regex.search(text, position):
                candidate = _chinese_name(text, match.start(1), match.end(1))
                if candidate is None:  # 由于王先生: 于王 is rejected, 王 is found one character later
                    position = match.start() + 1
                    continue
                found.append(candidate)
                position = match.end()
    for regex in (_EN_CUE, _EN_TITLE) if _ASCII_LETTER.search(text) else ():
        for match in regex.finditer(text):
            span = _english_name(match.group(1), match.start(1))
            if span is not None:
                key = text[span[0] : span[1]].lower()
                found.append(Candidate("NAME", span[0], span[1], key, PRIORITY_NAME))
    return found
