"""Scoring an intent model on labelled examples."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import f1_score

from processors.intent.calibration import expected_calibration_error
from processors.intent.model import IntentModel
from processors.intent.prediction import UNKNOWN_INTENT

__all__ = ["evaluate_intent"]


def evaluate_intent(model: IntentModel, examples: Sequence[tuple[str, str]]) -> dict[str, float | int]:
    """Accuracy and F1 of ``model`` on ``(text, label)`` pairs.

    ``accuracy``, ``macro_f1`` and ``micro_f1`` score the shipped behaviour, where an ``unknown``
    answer counts as wrong; ``forced_macro_f1`` scores the best label even when the model would say
    ``unknown`` (comparable with published forced-choice results). Macro averages run over the labels
    present in ``examples``.

    Returns
    -------
    dict
        ``accuracy``, ``macro_f1``, ``micro_f1``, ``n``, ``unknown_rate``, ``forced_accuracy``,
        ``forced_macro_f1``, ``confidence_ece``.
    """
    if not examples:
        raise ValueError("cannot evaluate on no examples")
    texts = [text for text, _ in examples]
    truth = [label for _, label in examples]
    predictions = model.predict(texts)
    predicted = [prediction.intent for prediction in predictions]
    forced = model.best_labels(texts)
    present = sorted(set(truth))
    confidence = np.array([prediction.confidence for prediction in predictions])

    def f1(guesses: list[str], average: str) -> float:
        return round(float(f1_score(truth, guesses, labels=present, average=average, zero_division=0)), 4)

    forced_correct = np.array([guess == label for guess, label in zip(forced, truth, strict=True)])
    return {
        "n": len(examples),
        "accuracy": round(float(np.mean([p == t for p, t in zip(predicted, truth, strict=True)])), 4),
        "macro_f1": round(float(f1_score(truth, predicted, labels=present, average="macro", zero_division=0)), 4),
        "micro_f1": round(float(f1_score(truth, predicted, labels=present, average="micro", zero_division=0)), 4),
        "unknown_rate": round(sum(p == UNKNOWN_INTENT for p in predicted) / len(predicted), 4),
        "forced_accuracy": round(float(forced_correct.mean()), 4),
        "forced_macro_f1": round(float(f1_score(truth, forced, labels=present, average="macro", zero_division=0)), 4),
        "confidence_ece": expected_calibration_error(confidence, forced_correct),
    }
