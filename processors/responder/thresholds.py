"""Choosing the responder's answer and clarify thresholds from labelled queries (pure; the job retrieves).

Each labelled query gives the calibrated retrieval confidence of its best passage and two labels:
``in_scope`` (the knowledge base covers the question) and ``correct`` (in scope, and the expected fact is in
the passages retrieval returned). The **answer threshold** is the lowest confidence from which answered
queries are correct at least ``precision_target`` of the time (the most answers for that precision); the
**clarify threshold** is the lowest confidence from which at least ``scope_target`` of the queries are in
scope: between the two, a customer whose intent is unclear is asked which topic they mean; below it the
knowledge base has nothing close and the conversation goes to a human.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["LabelledScore", "ThresholdChoice", "choose_thresholds", "lowest_meeting"]


@dataclass(frozen=True)
class LabelledScore:
    confidence: float
    in_scope: bool
    correct: bool


@dataclass(frozen=True)
class ThresholdChoice:
    answer_threshold: float
    clarify_threshold: float
    answer_precision: float
    """Of the queries at or above the answer threshold, the fraction answered correctly."""
    answer_recall: float
    """Of the correctly retrievable queries, the fraction at or above the answer threshold."""
    out_of_scope_answered: float
    """Of the out-of-scope queries, the fraction at or above the answer threshold."""
    out_of_scope_below_clarify: float
    """Of the out-of-scope queries, the fraction below the clarify threshold (handed off, not asked)."""


def lowest_meeting(scores: Sequence[LabelledScore], target: float, hit: str) -> float | None:
    """The lowest threshold whose queries at or above it are ``hit`` at least ``target`` of the time (or None)."""
    ordered = sorted(scores, key=lambda s: -s.confidence)
    best: float | None = None
    hits = 0
    for seen, score in enumerate(ordered, start=1):
        hits += bool(getattr(score, hit))
        following = ordered[seen].confidence if seen < len(ordered) else -1.0
        # a threshold can only sit between distinct confidences
        if following < score.confidence and hits / seen >= target:
            best = score.confidence
    return best


def choose_thresholds(
    scores: Sequence[LabelledScore], *, precision_target: float = 0.9, scope_target: float = 0.8
) -> ThresholdChoice:
    """Answer and clarify thresholds for the given targets, rounded down to 0.01.

    >>> s = [LabelledScore(c, True, True) for c in (0.9, 0.7, 0.5)] + [LabelledScore(0.45, True, False),
    ...     LabelledScore(0.3, False, False), LabelledScore(0.35, True, False), LabelledScore(0.1, False, False)]
    >>> choice = choose_thresholds(s, precision_target=0.9, scope_target=0.8)
    >>> choice.answer_threshold, choice.clarify_threshold, choice.answer_recall
    (0.5, 0.3, 1.0)
    """
    top = max((s.confidence for s in scores), default=1.0)
    answer = lowest_meeting(scores, precision_target, "correct") or top
    clarify = min(answer, lowest_meeting(scores, scope_target, "in_scope") or top)
    answer, clarify = _floor(answer), _floor(clarify)
    answered = [s for s in scores if s.confidence >= answer]
    correct = [s for s in scores if s.correct]
    outside = [s for s in scores if not s.in_scope]
    return ThresholdChoice(
        answer_threshold=answer,
        clarify_threshold=clarify,
        answer_precision=_rate(sum(s.correct for s in answered), len(answered)),
        answer_recall=_rate(sum(s.confidence >= answer for s in correct), len(correct)),
        out_of_scope_answered=_rate(sum(s.confidence >= answer for s in outside), len(outside)),
        out_of_scope_below_clarify=_rate(sum(s.confidence < clarify for s in outside), len(outside)),
    )


def _floor(value: float) -> float:
    return int(value * 100) / 100


def _rate(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0
