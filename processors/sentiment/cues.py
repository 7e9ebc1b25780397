"""Find the lexicon cues, shouting, and question/request form in one message.

Pure string work on each text, kept apart from the statistical model so the rules can be read, tested and
changed on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from processors.sentiment.lexicon import (
    CHINESE_CUES,
    CHINESE_NEGATORS,
    CHINESE_NOT_CUES,
    ENGLISH_CUES,
    ENGLISH_NEGATORS,
    CueCategory,
)
from processors.sentiment.text import normalize_text

POLARITY_SIGN: dict[CueCategory, float] = {
    "angry": -1.0,
    "negative": -1.0,
    "anxious": -0.5,
    "satisfied": 1.0,
    "positive": 1.0,
}
"""How a cue of each category moves the polarity logit, per unit of its weight.

Anxious moves it only half as much: "怎么还没到" is impatience, not a verdict on the product.
"""

SHOUTING_SHIFT = -1.5
"""Capitals in a support chat ("WHERE IS MY REFUND") are anger far more often than joy."""

NEGATED_SATISFIED_SHIFT = -1.5
""""不满意", "not happy": a negated satisfied or positive cue is itself a complaint."""

MAX_POLARITY_SHIFT = 4.0
"""Caps the lexicon's pull on the logit so a long rant cannot overflow and a long review stays the model's."""

CONTRAST_BEFORE = 0.75
CONTRAST_AFTER = 1.25
"""Cue weights before / after the last contrast word ("但是", "不过", "but"): in "谢谢，不过问题还没解决"
the clause after the turn carries the verdict. Kept mild: on held-out reviews (whose n-grams already
capture most turns) 0.5/1.5 cost 0.2 points of accuracy and 0.75/1.25 cost 0.1."""

_NEGATION_WINDOW = 3
_A_NOT_A = re.compile(r"(.)[不没]\1")
"""能不能, 是不是, 有没有: a yes-no question, not a negation of what follows."""
_CHINESE_CONTRAST = re.compile(r"但是|但|不过|可是|然而")
_CONTRAST = re.compile(_CHINESE_CONTRAST.pattern + r"|\bbut\b|\bhowever\b")
_HAS_LATIN = re.compile(r"[a-z]")
"""Most messages have no Latin letter (after normalising): their English scans are skipped, same result."""
_CLAUSE_BREAK = re.compile(r"[,.!?;:，。！？；：、~\n]")


def _alternation(terms: list[str]) -> str:
    # Longest first: Python's alternation takes the first branch that matches, and "气死我了" must win
    # over "气死".
    return "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))


_CHINESE_PATTERN = re.compile(_alternation(list(CHINESE_CUES)))
_ENGLISH_PATTERN = re.compile(r"\b(?:" + _alternation(list(ENGLISH_CUES)) + r")\b")
_CHINESE_NOT_CUES = re.compile(_alternation(list(CHINESE_NOT_CUES)))
_ENGLISH_GREETING = re.compile(r"\bgood (?:morning|afternoon|evening|day|night)\b")

_REQUEST_PATTERN = re.compile(
    r"请问|请帮|请|麻烦|能不能|能否|可以吗|可不可以|可以帮|怎么|如何|怎样|咋|哪里|哪儿|在哪|什么时候|多久"
    r"|几天|是否|有没有|我想|我要|想要|帮我|帮忙|想问|咨询|查一下|查询|你好|您好|在吗|在不在|吗|呢|[?]"
    r"|^(?:how|what|where|when|which|who|why|can|could|would|will|is|are|do|does|did|may|should|shall)\b"
    r"|\b(?:please|i want to|i'd like|i would like|i need to|help me|hello|hi|hey)\b"
)
_MULTI_EXCLAMATION = re.compile(r"!{2,}|(?:!\s*){3,}")
_MULTI_QUESTION = re.compile(r"\?{2,}")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True, slots=True)
class MessageCues:
    """Evidence the rules found in one message.

    Attributes
    ----------
    angry, anxious, satisfied
        Summed weights of the non-negated cues of each emotion.
    polarity_shift
        Log-odds to add to the polarity model's logit (negative = towards negative), capped.
    polar_cue_count
        How many cues (of any category, negated or not) were found.
    is_request
        The message is phrased as a question, request or greeting.
    shouting
        Mostly upper-case English ("THIS IS UNACCEPTABLE").
    exclamations, repeated_questions
        "!!" or more, "??" or more.
    """

    angry: float
    anxious: float
    satisfied: float
    polarity_shift: float
    polar_cue_count: int
    is_request: bool
    shouting: bool
    exclamations: bool
    repeated_questions: bool


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group())


def _clause_prefix(text: str, start: int, width: int) -> str:
    prefix = text[max(0, start - width) : start]
    breaks = list(_CLAUSE_BREAK.finditer(prefix))
    return prefix[breaks[-1].end() :] if breaks else prefix


def _chinese_negated(text: str, start: int) -> bool:
    # Negation does not cross a contrast word either: the 不 of "不过" ("but") negates nothing.
    prefix = _CHINESE_CONTRAST.split(_clause_prefix(text, start, _NEGATION_WINDOW + 2))[-1]
    prefix = _A_NOT_A.sub("", prefix)[-_NEGATION_WINDOW:]
    return any(char in CHINESE_NEGATORS for char in prefix)


def _english_negated(text: str, start: int) -> bool:
    words = _clause_prefix(text, start, 24).split()
    return any(word in ENGLISH_NEGATORS for word in words[-3:])


def is_shouting(original: str) -> bool:
    """True when at least three English words are in capitals and they are most of the English words.

    Three, not two: brand names ("HUAWEI", "USB", "DHL") come in ones and twos.

    Examples
    --------
    >>> is_shouting("WHERE IS MY ORDER")
    True
    >>> is_shouting("My USB cable from DHL")
    False
    >>> is_shouting("HUAWEI手机用HUAWEI的数据线")
    False
    """
    words = _LATIN_WORD.findall(original)
    capitals = sum(1 for word in words if word.isupper())
    return capitals >= 3 and capitals >= 0.6 * len(words)


def find_cues(text: str, normalized: str | None = None) -> MessageCues:
    """Scan one message for emotion and polarity cues.

    ``normalized`` is ``normalize_text(text)`` when the caller has it already (the model normalises each
    text once for its features and its cues).

    Examples
    --------
    >>> find_cues("你们这什么破服务，气死我了").angry > 0
    True
    >>> find_cues("不满意").satisfied
    0.0
    >>> find_cues("请问我的快递到哪了").is_request
    True
    """
    if normalized is None:
        normalized = normalize_text(text)
    totals: dict[CueCategory, float] = dict.fromkeys(POLARITY_SIGN, 0.0)
    shift = 0.0
    count = 0
    latin = _HAS_LATIN.search(normalized) is not None
    # Blank with as many spaces as characters, so positions (negation windows, contrast) stay aligned.
    chinese_text = _CHINESE_NOT_CUES.sub(_blank, normalized)
    contrasts = list((_CONTRAST if latin else _CHINESE_CONTRAST).finditer(normalized))
    turn = contrasts[-1].end() if contrasts else -1
    scans = [(_CHINESE_PATTERN, chinese_text, CHINESE_CUES, _chinese_negated)]
    if latin:
        english_text = _ENGLISH_GREETING.sub(_blank, normalized)
        scans.append((_ENGLISH_PATTERN, english_text, ENGLISH_CUES, _english_negated))
    for pattern, haystack, table, negated in scans:
        for match in pattern.finditer(haystack):
            category, weight = table[match.group()]
            count += 1
            factor = 1.0
            if turn >= 0:
                factor = CONTRAST_AFTER if match.start() >= turn else CONTRAST_BEFORE
            weight *= factor
            if negated(haystack, match.start()):
                if category in ("satisfied", "positive"):
                    shift += NEGATED_SATISFIED_SHIFT * factor
                continue
            totals[category] += weight
            shift += POLARITY_SIGN[category] * weight
    shouting = is_shouting(text)
    if shouting:
        shift += SHOUTING_SHIFT
    return MessageCues(
        angry=totals["angry"],
        anxious=totals["anxious"],
        satisfied=totals["satisfied"],
        polarity_shift=max(-MAX_POLARITY_SHIFT, min(MAX_POLARITY_SHIFT, shift)),
        polar_cue_count=count,
        is_request=_REQUEST_PATTERN.search(normalized) is not None,
        shouting=shouting,
        exclamations=_MULTI_EXCLAMATION.search(normalized) is not None,
        repeated_questions=_MULTI_QUESTION.search(normalized) is not None,
    )
