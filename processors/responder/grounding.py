"""Grounding: is a generated answer supported by the passages it cites? And answers made of passages.

:func:`check_grounded` scores each answer sentence by how much of it (character bigrams for Chinese,
words for English) occurs in the passages it cites, and requires every number it states to occur there
too ("7天" must be in a passage, "七天" counts as 7). Courtesy and framing clauses ("好的，", "根据资料，")
are left out of the score, and a sentence that only restates the customer's question (small models echo
it: "退货寄到哪个地址？[1]") is never what makes an answer supported (:func:`restates_question`).
:func:`extractive_answer` answers from the best
passage's own sentences when generation fails or is unsupported. :func:`trim_to_limit` and
:func:`tone_prefix` shape the final text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from serving.protocols import Passage

__all__ = [
    "GroundingResult",
    "check_grounded",
    "cited_passages",
    "drop_restatements",
    "extractive_answer",
    "restates_question",
    "split_sentences",
    "token_overlap",
    "tone_prefix",
    "trim_to_limit",
]

_CITATION = re.compile(r"\[(\d{1,2})\]")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[a-z]{3,}")
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"[零一二两三四五六七八九十]+(?=[天个次年元分小期倍张月周件级日])")
_EN_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "you",
        "your",
        "are",
        "can",
        "with",
        "this",
        "that",
        "from",
        "will",
        "have",
        "not",
        "our",
        "was",
        "has",
        "all",
        "any",
        "per",
        "its",
        "into",
        "out",
    ]
)
_COURTESY = re.compile(
    r"抱歉|请您放心|别着急|不要着急|您好|很高兴|还有其他问题|sorry|don't worry|happy to help|anything else",
    re.IGNORECASE,
)
# Clauses that frame or soften an answer but state nothing: dropped before a sentence is scored.
_FRAMING = re.compile(
    r"^(?:好的|好|嗯|亲|您好|你好|是的|对的|没问题|明白了?|收到|了解|关于您的问题|关于这个问题|您的问题|您问的"
    r"|根据(?:您提供的|提供的|以上|上述|现有的?)?(?:资料|信息|规定|政策|说明|[＜<]?passages[＞>]?中的资料)(?:显示|所述|说明)?"
    r"|(?:具体)?(?:步骤|方法|规则|流程|情况)如下|以下是.{0,12}|请参考以下.{0,8}"
    r"|okay|ok|sure|yes|hello|hi|according to the (?:passages?|material|information))$",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"[，,：:、]")
# A question: a question mark, or a question particle ending a sentence ("水果坏了可以退吗[2]。").
_QUESTION_END = re.compile(r"(?:[？?]|[吗呢])[\s。.！!？?]*$")
_TONE: dict[str, tuple[str, str]] = {
    "angry": ("非常抱歉给您带来不好的体验，", "I'm very sorry for the trouble. "),
    "anxious": ("请您放心，我们会尽快帮您处理。", "Don't worry, we'll sort this out quickly. "),
}


@dataclass(frozen=True)
class GroundingResult:
    """How well an answer is supported.

    Attributes
    ----------
    supported
        Every checked sentence is covered (``min_coverage``) and states only numbers found in its
        passages, and (when required) the answer cites at least one passage.
    score
        Mean coverage of the checked sentences, 0..1 (1.0 when nothing needed checking).
    unsupported_sentences
        The sentences that failed.
    citations_used
        Valid citation numbers (1-based passage positions) the answer uses, ascending.
    """

    supported: bool
    score: float
    unsupported_sentences: tuple[str, ...]
    citations_used: tuple[int, ...]


def _cn_to_int(word: str) -> int:
    if "十" not in word:
        value = 0
        for char in word:
            value = value * 10 + _CN_DIGITS.get(char, 0)
        return value
    tens, _, ones = word.partition("十")
    return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).lower()
    return _CN_NUMBER.sub(lambda m: str(_cn_to_int(m.group(0))), folded)


def _tokens(text: str) -> set[str]:
    cjk = "".join(_CJK.findall(text))
    grams = {cjk[i : i + 2] for i in range(len(cjk) - 1)}
    grams.update(w for w in _WORD.findall(text) if w not in _EN_STOP)
    return grams


def token_overlap(question: str, text: str) -> float:
    """The share of ``question``'s tokens (bigrams, words) that occur in ``text``, 0..1.

    >>> token_overlap("退货运费", "运费由买家承担"), token_overlap("", "运费")
    (0.3333, 0.0)
    """
    wanted = _tokens(_normalise(question))
    return round(len(wanted & _tokens(_normalise(text))) / len(wanted), 4) if wanted else 0.0


def _content(sentence: str) -> str:
    """The sentence without citations and without its courtesy/framing clauses."""
    body = _normalise(without_citation_markers(sentence))
    clauses = _CLAUSE.split(body.strip(" 。！？!?；;.\n"))
    return "，".join(c for c in clauses if c.strip() and not _FRAMING.match(c.strip()) and not _softener(c))


def _softener(clause: str) -> bool:
    """A courtesy clause ("非常抱歉给您带来不便") stating no number (a number is always checked)."""
    return _COURTESY.search(clause) is not None and _NUMBER.search(clause) is None


def restates_question(sentence: str, question: str) -> bool:
    """Whether ``sentence`` only asks or echoes the customer's ``question`` instead of answering it.

    A sentence that is itself a question restates; so does one whose content (framing clauses and citations
    left out) is nearly all words of the question (at most one token or a third new).

    >>> restates_question("退货寄到哪个地址？[1]", "退货要寄到什么地方")
    True
    >>> restates_question("好的，退货要寄到什么地方[1]。", "退货要寄到什么地方")
    True
    >>> restates_question("收到的商品发错了怎么办？[1]。", "你们发错货了咋整")  # the FAQ's question, echoed
    True
    >>> restates_question("可以，水果坏了可以退吗[2]。", "水果坏了能退吗")  # reworded, but still a question
    True
    >>> restates_question("已激活的平板不支持无理由退货[1]。", "平板激活过了还能无理由退吗")
    False
    """
    if _QUESTION_END.search(without_citation_markers(sentence)):
        return True
    tokens = _tokens(_content(sentence))
    if len(tokens) < 3:  # "可以。", "不支持[1]。": too short to be an echo
        return False
    novel = tokens - _tokens(_normalise(question))
    return len(novel) <= 1 or len(novel) / len(tokens) < 1 / 3


def drop_restatements(answer: str, question: str) -> str:
    """``answer`` without its sentences that restate ``question`` (see :func:`restates_question`).

    >>> drop_restatements("手机激活了还能退货吗？[1]已激活的手机不支持无理由退货[1]。", "手机激活了还能退货吗")
    '已激活的手机不支持无理由退货[1]。'
    """
    sentences = re.findall(r".+?(?:[。！？!?；;\n]+(?:\s*\[\d{1,2}\])*|$)", answer, flags=re.DOTALL)
    return "".join(s for s in sentences if s.strip() and not restates_question(s, question)).strip()


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (Chinese and English punctuation), stripped, empty ones dropped.

    >>> split_sentences("可以退货[1]。运费由买家承担！Refunds take 3 days. OK")
    ['可以退货[1]。', '运费由买家承担！', 'Refunds take 3 days.', 'OK']
    """
    pieces: list[str] = []
    for chunk in re.split(r"(?<=[。！？!?；;\n])", text):
        pieces.extend(re.split(r"(?<=[a-z0-9)\]]\.)\s+", chunk, flags=re.IGNORECASE))
    return [p.strip() for p in pieces if p.strip()]


def check_grounded(
    answer: str,
    passages: Sequence[Passage],
    *,
    min_coverage: float = 0.6,
    require_citation: bool = True,
    question: str | None = None,
) -> GroundingResult:
    """Check that ``answer`` is supported by ``passages`` (cited as ``[1]``, ``[2]``... by position).

    A sentence with citations is compared with the passages it cites, one without with all of them;
    courtesy sentences without numbers ("非常抱歉…") and sentences under three tokens are not checked.
    A citation to a passage that does not exist fails its sentence. Courtesy and framing clauses are not
    scored. With ``question``, sentences restating it are not scored either, and the answer is supported
    only when at least one other sentence was checked and passed: an echo of the question answers nothing.

    Examples
    --------
    >>> ps = [Passage("c1", "returns.md", "自签收之日起7天内可申请七天无理由退货，寄回运费由买家承担。")]
    >>> check_grounded("签收7天内可以无理由退货，寄回运费由买家承担[1]。", ps).supported
    True
    >>> r = check_grounded("签收15天内可以无理由退货[1]。", ps)
    >>> r.supported, r.unsupported_sentences
    (False, ('签收15天内可以无理由退货[1]。',))
    >>> check_grounded("可以退货。", ps).supported  # no citation
    False
    >>> check_grounded("退货运费谁承担？[1]", ps, question="退货运费谁出").supported  # an echo
    False
    """
    normalised = [_normalise(p.text) for p in passages]
    coverages: list[float] = []
    failed: list[str] = []
    used: set[int] = set()
    for sentence in split_sentences(answer):
        cited = [int(n) for n in _CITATION.findall(sentence)]
        valid = [n for n in cited if 1 <= n <= len(passages)]
        used.update(valid)
        body = _content(sentence)
        tokens = _tokens(body)
        numbers = _NUMBER.findall(body)
        if len(valid) < len(cited):
            failed.append(sentence)
            coverages.append(0.0)
            continue
        uncited = _normalise(without_citation_markers(sentence))
        if len(tokens) < 3 or _softener(uncited) or (question is not None and restates_question(sentence, question)):
            continue  # too short, a courtesy sentence ("请您放心，我们会尽快帮您处理。"), or an echo
        sources = [normalised[n - 1] for n in valid] if valid else normalised
        source_text = "\n".join(sources)
        coverage = len(tokens & _tokens(source_text)) / len(tokens)
        source_numbers = set(_NUMBER.findall(source_text))
        coverages.append(coverage)
        if coverage < min_coverage or any(n not in source_numbers for n in numbers):
            failed.append(sentence)
    cites_ok = bool(used) or not require_citation
    informative = bool(coverages) or question is None
    score = sum(coverages) / len(coverages) if coverages else 1.0
    supported = not failed and cites_ok and informative
    return GroundingResult(supported, round(score, 4), tuple(failed), tuple(sorted(used)))


def _answer_part(text: str) -> str:
    for marker in ("答：", "答:", "A:", "Answer:"):
        if marker in text:
            return text.split(marker, 1)[1].strip()
    lines = [line.strip().lstrip("-*0123456789. ").strip() for line in text.splitlines()]
    return "".join(
        line if _CJK.search(line[-1:]) is None else line + "。" for line in lines if line and not line.startswith("#")
    )


def extractive_answer(query: str, passages: Sequence[Passage], *, max_sentences: int = 2, max_chars: int = 200) -> str:
    """An answer made of sentences of the passage that best matches ``query``, with its citation.

    The whole answer part of a FAQ passage ("…答：…") is used when it fits in ``max_chars``; otherwise
    the ``max_sentences`` sentences sharing most with the query, in passage order. Empty when there
    are no passages.

    Examples
    --------
    >>> ps = [Passage("c1", "faq.jsonl", "问：退款多久到账？答：微信支付1–3个工作日到账。信用卡7–15个工作日。"),
    ...       Passage("c2", "shipping.md", "满99元包邮。")]
    >>> extractive_answer("退款多久到账", ps)
    '微信支付1–3个工作日到账。信用卡7–15个工作日。[1]'
    >>> extractive_answer("多少钱包邮", ps)
    '满99元包邮。[2]'
    """
    if not passages:
        return ""
    query_tokens = _tokens(_normalise(query))

    def overlap(text: str) -> float:
        return len(query_tokens & _tokens(_normalise(text))) / (len(query_tokens) or 1)

    best = max(range(len(passages)), key=lambda i: (overlap(passages[i].text), -i))
    body = _answer_part(passages[best].text)
    citation = f"[{best + 1}]"
    if len(body) <= max_chars:
        return body + citation
    sentences = split_sentences(body)
    ranked = sorted(range(len(sentences)), key=lambda i: (-overlap(sentences[i]), i))[:max_sentences]
    chosen = "".join(sentences[i] for i in sorted(ranked))
    return trim_to_limit(chosen, max_chars) + citation


def cited_passages(text: str, passages: Sequence[Passage], *, shown: int) -> list[Passage]:
    """The passages a reply cites: positions 1 to the highest valid ``[n]`` in ``text``, so every marker keeps its
    number; the ``shown`` best (those the model saw) when ``text`` cites none. Retrieved passages the answer does
    not use are no citations: a customer and an analyst read this list as the reply's sources.

    >>> ps = [Passage(f"c{i}", "faq.jsonl", "…") for i in range(1, 6)]
    >>> [p.chunk_id for p in cited_passages("满99元包邮[2]。退款3天到账[1]。", ps, shown=2)]
    ['c1', 'c2']
    >>> [p.chunk_id for p in cited_passages("满99元包邮[1]。", ps, shown=2)]
    ['c1']
    >>> [p.chunk_id for p in cited_passages("满99元包邮。", ps, shown=2)], len(cited_passages("见[9]", ps, shown=2))
    (['c1', 'c2'], 2)
    """
    valid = [n for n in map(int, _CITATION.findall(text)) if 1 <= n <= len(passages)]
    return list(passages[: max(valid)] if valid else passages[:shown])


def trim_to_limit(text: str, max_chars: int) -> str:
    """``text`` cut to at most ``max_chars`` characters, at a sentence end when there is one.

    >>> trim_to_limit("第一句。第二句很长很长。", 6)
    '第一句。'
    >>> trim_to_limit("没有句号的长句子", 5)
    '没有句号…'
    """
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    ends = [m.end() for m in re.finditer(r"[。！？!?]|\.(?=\s)|(?<=[。！？!?])\[\d+\]", head)]
    if ends:
        return head[: ends[-1]].rstrip()
    return head[: max(max_chars - 1, 0)] + "…"


def without_citation_markers(text: str) -> str:
    """``text`` without its ``[1]`` markers: for a channel that cannot show the sources they point at (WeChat).

    >>> without_citation_markers("寄回运费由买家承担[1]。质量问题由本商城承担[2]。")
    '寄回运费由买家承担。质量问题由本商城承担。'
    """
    return _CITATION.sub("", text)


_LEADING_PUNCTUATION = re.compile(r"^[\s。，、；：！？,.;:!?]+")


def without_leading_punctuation(text: str) -> str:
    """``text`` without punctuation before its first word: a sentence never starts with "。", and after the tone
    prefix (which ends in "。" or "，") one that does shows as "。。".

    >>> without_leading_punctuation("。签收前请检查包装[1]。"), without_leading_punctuation("。")
    ('签收前请检查包装[1]。', '')
    """
    return _LEADING_PUNCTUATION.sub("", text)


def tone_prefix(emotion: str | None, locale: str = "zh-CN") -> str:
    """The opening an emotion calls for: an apology to an angry customer, reassurance to an anxious one.

    >>> tone_prefix("angry"), tone_prefix("anxious", "en-US"), tone_prefix("neutral")
    ('非常抱歉给您带来不好的体验，', "Don't worry, we'll sort this out quickly. ", '')
    """
    if emotion not in _TONE:
        return ""
    zh, en = _TONE[emotion]
    return en if locale.lower().startswith("en") else zh
