"""Choose the neutral band of a trained model on labelled three-way customer-service messages."""

from __future__ import annotations

from collections.abc import Sequence

from processors.sentiment.cues import MessageCues
from processors.sentiment.polarity import decide_polarity
from processors.sentiment.types import Polarity

HALF_WIDTH_GRID: tuple[float, ...] = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35)
"""Candidate half-widths; above 0.35 (P(positive) in [0.15, 0.85]) the band would swallow real opinions."""


def fit_neutral_half_width(
    probabilities: Sequence[float], cues: Sequence[MessageCues], labels: Sequence[Polarity]
) -> tuple[float, float]:
    """The half-width with the best three-way accuracy, and that accuracy.

    Ties go to the narrowest band, which keeps the most opinions polar.

    Examples
    --------
    >>> from processors.sentiment.cues import find_cues
    >>> c = find_cues("收到了")
    >>> fit_neutral_half_width([0.45, 0.05, 0.95], [c, c, c], ["neutral", "negative", "positive"])
    (0.05, 1.0)
    """
    if not labels:
        raise ValueError("need at least one labelled message to calibrate the neutral band")
    best_width, best_accuracy = HALF_WIDTH_GRID[0], -1.0
    for width in HALF_WIDTH_GRID:
        hits = sum(
            decide_polarity(probability, message_cues, width)[0] == label
            for probability, message_cues, label in zip(probabilities, cues, labels, strict=True)
        )
        accuracy = hits / len(labels)
        if accuracy > best_accuracy:
            best_width, best_accuracy = width, accuracy
    return best_width, best_accuracy
