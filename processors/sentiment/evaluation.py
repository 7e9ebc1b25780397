"""Binary polarity figures and a reproducible held-out split."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

from processors.sentiment.types import SentimentPrediction


class PredictsSentiment(Protocol):
    def predict(self, texts: Sequence[str]) -> list[SentimentPrediction]: ...


def holdout_bucket(text: str, *, buckets: int = 10, salt: str = "kefu-sentiment") -> int:
    """A stable bucket in ``[0, buckets)`` from the text itself.

    Hashing the text (not the row number) sends duplicate reviews to the same side, so a review copied
    into both halves cannot inflate the held-out figure.
    """
    digest = hashlib.sha256(f"{salt}\x00{text}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % buckets


def split_holdout(
    examples: Sequence[tuple[str, int]], *, holdout_bucket_id: int = 0, buckets: int = 10
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """``(train, held_out)``: about ``1 / buckets`` of the examples are held out."""
    train: list[tuple[str, int]] = []
    held_out: list[tuple[str, int]] = []
    for example in examples:
        is_held_out = holdout_bucket(example[0], buckets=buckets) == holdout_bucket_id
        (held_out if is_held_out else train).append(example)
    return train, held_out


def _f1(true_positive: int, false_positive: int, false_negative: int) -> float:
    denominator = 2 * true_positive + false_positive + false_negative
    return 2 * true_positive / denominator if denominator else 0.0


def evaluate_sentiment(model: PredictsSentiment, examples: Sequence[tuple[str, int]]) -> dict[str, float]:
    """Binary polarity figures: ``accuracy``, ``macro_f1``, ``micro_f1``, ``n`` and ``neutral_rate``.

    The review labels are binary, so each prediction is read as positive when ``score > 0`` and
    negative otherwise (a neutral prediction is resolved by the sign of its score). ``neutral_rate`` says
    how many held-out opinions the three-way tagger would have called neutral. For single-label binary
    data micro-F1 equals accuracy.
    """
    if not examples:
        raise ValueError("no examples to evaluate")
    predictions = model.predict([text for text, _ in examples])
    counts = {(truth, guess): 0 for truth in (0, 1) for guess in (0, 1)}
    neutral = 0
    for (_, truth), prediction in zip(examples, predictions, strict=True):
        counts[(truth, 1 if prediction.score > 0 else 0)] += 1
        neutral += prediction.polarity == "neutral"
    n = len(examples)
    correct = counts[(0, 0)] + counts[(1, 1)]
    f1_positive = _f1(counts[(1, 1)], counts[(0, 1)], counts[(1, 0)])
    f1_negative = _f1(counts[(0, 0)], counts[(1, 0)], counts[(0, 1)])
    return {
        "accuracy": correct / n,
        "macro_f1": (f1_positive + f1_negative) / 2,
        "micro_f1": correct / n,
        "n": n,
        "neutral_rate": neutral / n,
    }
