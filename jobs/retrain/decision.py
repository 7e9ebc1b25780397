"""Whether a candidate model replaces the current one: better overall by a margin, worse on no large class."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sklearn.metrics import f1_score

__all__ = ["ClassDelta", "PromotionRule", "decide", "per_class_deltas"]


@dataclass(frozen=True, slots=True)
class ClassDelta:
    """F1 of one label on the held-out slice, current model against candidate."""

    label: str
    support: int
    current_f1: float
    candidate_f1: float

    @property
    def delta(self) -> float:
        return round(self.candidate_f1 - self.current_f1, 4)


@dataclass(frozen=True, slots=True)
class PromotionRule:
    """The promotion bar.

    Attributes
    ----------
    margin
        The candidate's macro-F1 must beat the current model's by at least this much.
    min_class_size
        Labels with at least this many held-out examples are "large": their F1 is measured well enough to hold
        the candidate to it.
    tolerance
        A large label's F1 may drop by at most this much.
    """

    margin: float = 0.01
    min_class_size: int = 20
    tolerance: float = 0.02


def per_class_deltas(truth: Sequence[str], current: Sequence[str], candidate: Sequence[str]) -> dict[str, ClassDelta]:
    """Per-label F1 of both models' predictions against ``truth`` (labels present in ``truth``).

    >>> deltas = per_class_deltas(["a", "a", "b"], ["a", "b", "b"], ["a", "a", "b"])
    >>> deltas["a"].current_f1, deltas["a"].candidate_f1, deltas["a"].delta, deltas["a"].support
    (0.6667, 1.0, 0.3333, 2)
    """
    labels = sorted(set(truth))
    before = f1_score(truth, current, labels=labels, average=None, zero_division=0)
    after = f1_score(truth, candidate, labels=labels, average=None, zero_division=0)
    support = {label: 0 for label in labels}
    for label in truth:
        support[label] += 1
    return {
        label: ClassDelta(label, support[label], round(float(b), 4), round(float(a), 4))
        for label, b, a in zip(labels, before, after, strict=True)
    }


def decide(
    candidate_score: float, current_score: float, deltas: Mapping[str, ClassDelta], rule: PromotionRule
) -> tuple[bool, str]:
    """``(promote, reason)``; the reason names the figures either way, so a rejection can be explained.

    >>> rule = PromotionRule(margin=0.02, min_class_size=10, tolerance=0.02)
    >>> decide(0.80, 0.79, {}, rule)
    (False, 'macro_f1 0.7900 -> 0.8000 (+0.0100) is below the margin 0.02')
    >>> drop = {"refund": ClassDelta("refund", 12, 0.90, 0.80)}
    >>> decide(0.85, 0.80, drop, rule)[1]
    "class 'refund' (12 held-out) regressed 0.9000 -> 0.8000 (-0.1000), more than the tolerance 0.02"
    >>> decide(0.85, 0.80, {}, rule)
    (True, 'macro_f1 0.8000 -> 0.8500 (+0.0500) >= margin 0.02; no class with >= 10 held-out examples regressed')
    """
    change = candidate_score - current_score
    figures = f"macro_f1 {current_score:.4f} -> {candidate_score:.4f} ({change:+.4f})"
    if change < rule.margin - 1e-12:
        return False, f"{figures} is below the margin {rule.margin:g}"
    large = [d for d in deltas.values() if d.support >= rule.min_class_size]
    regressed = sorted((d for d in large if d.current_f1 - d.candidate_f1 > rule.tolerance), key=lambda d: d.delta)
    if regressed:
        worst = regressed[0]
        return False, (
            f"class '{worst.label}' ({worst.support} held-out) regressed {worst.current_f1:.4f} -> "
            f"{worst.candidate_f1:.4f} ({worst.candidate_f1 - worst.current_f1:+.4f}), "
            f"more than the tolerance {rule.tolerance:g}"
        )
    return (
        True,
        f"{figures} >= margin {rule.margin:g}; no class with >= {rule.min_class_size} held-out examples regressed",
    )
