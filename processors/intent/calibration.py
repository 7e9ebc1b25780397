"""Turning linear one-vs-rest scores into probabilities and decision thresholds.

The scores come from cross-validation (the model never saw the message it scores), so the fitted
sigmoid reflects how the model behaves on new text, not how well it memorised its training set.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

__all__ = ["ScoreCalibration", "expected_calibration_error", "fit_calibration"]

FloatArray = npt.NDArray[np.floating[Any]]
IntArray = npt.NDArray[np.integer[Any]]


@dataclass(frozen=True, slots=True)
class ScoreCalibration:
    """Temperature-scaled softmax over one-vs-rest scores and a "none" score, plus two thresholds.

    The fixed ``none_score`` competes with the labels inside the softmax, so text on which every
    label scores low (gibberish, off-topic chatter) puts its mass on "none" instead of on whichever
    label is least negative; label probabilities then sum to less than one.

    A single temperature fitted on held-out rows makes the best label's probability match how often
    it is right (per-label Platt sigmoids were tried first: fitted on 117 negatives per positive they
    left CIC's top-label confidence 0.25 off its accuracy).

    Attributes
    ----------
    temperature, none_score
        ``p = softmax([scores, none_score] / temperature)`` without the last column.
    unknown_threshold
        Below this best-label probability the prediction is ``unknown``.
    multi_threshold
        Other labels at or above this probability are reported as additional intents.
    """

    temperature: float
    none_score: float
    unknown_threshold: float
    multi_threshold: float

    def probabilities(self, scores: FloatArray) -> npt.NDArray[np.float32]:
        """Calibrated label probabilities for a ``(n, n_labels)`` score matrix."""
        return _softmax(np.asarray(scores, dtype=np.float32), self.temperature, self.none_score)

    def to_dict(self) -> dict[str, float]:
        """Plain floats for ``metadata.json``."""
        return asdict(self)


def _softmax(scores: npt.NDArray[np.float32], temperature: float, none_score: float) -> npt.NDArray[np.float32]:
    logits = np.empty((scores.shape[0], scores.shape[1] + 1), dtype=np.float32)
    logits[:, :-1] = scores
    logits[:, -1] = none_score
    logits /= np.float32(temperature)
    logits -= logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=1, keepdims=True)
    return logits[:, :-1]


def _fit_softmax(scores: npt.NDArray[np.float32], targets: IntArray) -> tuple[float, float]:
    """Temperature and none score minimising the log-loss of "the best label is right".

    Fitting the full softmax log-likelihood instead was tried: on noisy labels (CIC) the
    mislabelled rows dominate it and flatten every probability.
    """
    correct = scores.argmax(axis=1) == targets

    def confidence_log_loss(parameters: npt.NDArray[np.float64]) -> float:
        temperature, none_score = float(np.exp(parameters[0])), float(parameters[1])
        best = np.clip(_softmax(scores, temperature, none_score).max(axis=1), 1e-7, 1 - 1e-7)
        return float(-np.where(correct, np.log(best), np.log1p(-best)).mean())

    start = np.array([np.log(0.1), float(np.quantile(scores.max(axis=1), 0.05))])
    result = minimize(confidence_log_loss, start, method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-6})
    return float(np.exp(result.x[0])), float(result.x[1])


def fit_calibration(
    scores: FloatArray,
    targets: IntArray,
    *,
    unknown_quantile: float,
    multi_quantile: float,
) -> ScoreCalibration:
    """Fit the temperature and none score, and choose thresholds from held-out scores.

    Parameters
    ----------
    scores
        ``(n, n_labels)`` out-of-fold decision scores.
    targets
        ``(n,)`` index of the true label of each row.
    unknown_quantile
        Fraction of correctly classified held-out messages allowed to fall below the unknown
        threshold (the threshold is that quantile of their best-label probability).
    multi_quantile
        Quantile of the second-best probability on held-out (single-intent) messages that a second
        label must exceed, bounding spurious second intents to ``1 - multi_quantile`` of messages.

    Returns
    -------
    ScoreCalibration
        The fitted calibration.
    """
    scores32 = np.asarray(scores, dtype=np.float32)
    temperature, none_score = _fit_softmax(scores32, targets)
    probabilities = _softmax(scores32, temperature, none_score)
    ranked = np.sort(probabilities, axis=1)
    best, second = ranked[:, -1], ranked[:, -2]
    correct = probabilities.argmax(axis=1) == targets
    unknown_threshold = float(np.quantile(best[correct], unknown_quantile)) if correct.any() else 0.5
    multi_threshold = max(float(np.quantile(second, multi_quantile)), unknown_threshold)
    return ScoreCalibration(
        temperature=temperature,
        none_score=none_score,
        unknown_threshold=unknown_threshold,
        multi_threshold=multi_threshold,
    )


def expected_calibration_error(confidence: FloatArray, correct: npt.NDArray[np.bool_], bins: int = 10) -> float:
    """Mean |confidence - accuracy| over equal-width confidence bins, weighted by bin size.

    Examples
    --------
    >>> expected_calibration_error(np.array([0.9, 0.9, 0.1, 0.1]), np.array([True, True, False, False]))
    0.1
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for index in range(bins):
        in_bin = which == index
        if in_bin.any():
            total += int(in_bin.sum()) * abs(float(confidence[in_bin].mean()) - float(correct[in_bin].mean()))
    return round(total / max(len(confidence), 1), 6)
