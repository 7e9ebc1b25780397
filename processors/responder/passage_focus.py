"""Passages cut to what a question needs: the few best, each reduced to its sentences most related to it.

The generator's time to first token is its prompt evaluation, and on two CPU cores every passage token
costs about 8 ms. Retrieval returns five passages, often whole Markdown sections; the answer almost always
lies in the first two or three, in the sentences that share words with the question. :func:`focus_passages`
keeps those, in their original order (so a passage is still numbered by its retrieval rank), and leaves the
full passages to grounding and the extractive fallback.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from serving.protocols import Passage

from .grounding import split_sentences, token_overlap

__all__ = ["focus_passages", "focus_text", "relevant_passages"]

_FAQ_ANSWER = re.compile(r"答[：:]")


def focus_text(question: str, text: str, max_chars: int) -> str:
    """``text`` reduced to its sentences sharing most with ``question``, in text order, within ``max_chars``.

    A text that fits is returned unchanged; so is a FAQ pair's answer ("问：…答：…") when it fits. Headings
    and list markers are kept only when their line is chosen.

    >>> text = "运费由买家承担。质量问题由本商城承担运费。会员每月2次免费上门取件。退款3天到账。"
    >>> focus_text("质量问题运费谁出", text, 24)
    '运费由买家承担。质量问题由本商城承担运费。'
    >>> focus_text("运费", "运费由买家承担。", 24)
    '运费由买家承担。'
    """
    text = text.strip()
    if len(text) <= max_chars:
        return text
    faq = _FAQ_ANSWER.search(text)
    if faq is not None and len(text) - faq.end() <= max_chars:
        return text[faq.end() :].strip()
    sentences = [s for line in text.splitlines() for s in split_sentences(line)]
    ranked = sorted(range(len(sentences)), key=lambda i: (-token_overlap(question, sentences[i]), i))
    chosen: list[int] = []
    used = 0
    for index in ranked:
        length = len(sentences[index])
        if used + length > max_chars and chosen:
            continue
        chosen.append(index)
        used += length
        if used >= max_chars:
            break
    joined = "".join(sentences[i] for i in sorted(chosen))
    return joined[:max_chars]


def focus_passages(
    question: str, passages: Sequence[Passage], *, max_passages: int = 2, max_chars: int = 120
) -> list[Passage]:
    """The first ``max_passages`` of ``passages`` (best first), each with its text cut by :func:`focus_text`.

    >>> ps = [Passage("a", "x.md", "满99元包邮。" * 3), Passage("b", "y.md", "b"), Passage("c", "z.md", "c")]
    >>> [p.text for p in focus_passages("包邮", ps, max_passages=2, max_chars=14)]
    ['满99元包邮。满99元包邮。', 'b']
    """
    return [replace(p, text=focus_text(question, p.text, max_chars)) for p in passages[:max_passages]]


def relevant_passages(passages: Sequence[Passage], *, min_share: float) -> list[Passage]:
    """The passages scoring at least ``min_share`` of the best one's score, in retrieval order.

    Retrieval always returns ``k`` passages; when the reranker is sure of the first (0.92) the others can be
    noise (0.04), and a small model shown both may answer from the noise ("how long does a refund take?" answered
    with delivery times from the second passage). Passages far below the best are therefore not shown to the
    generator, cited, or used for an extractive answer. All are kept when the best score is not positive (no scale
    to compare on, e.g. a production reranker returning logits all below zero).

    >>> ps = [Passage("a", "faq", "退款", score=0.92), Passage("b", "faq", "配送", score=0.04),
    ...       Passage("c", "faq", "退货", score=0.2)]
    >>> [p.chunk_id for p in relevant_passages(ps, min_share=0.1)]
    ['a', 'c']
    >>> len(relevant_passages([Passage("a", "x", "t", score=-1.0), Passage("b", "x", "t", score=-3.0)], min_share=0.1))
    2
    """
    best = max((p.score for p in passages), default=0.0)
    if best <= 0:
        return list(passages)
    return [p for p in passages if p.score >= min_share * best]
