"""Value types shared by the sentiment package."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Polarity = Literal["negative", "neutral", "positive"]
Emotion = Literal["angry", "anxious", "satisfied", "neutral"]

POLARITIES: tuple[Polarity, ...] = ("negative", "neutral", "positive")
EMOTIONS: tuple[Emotion, ...] = ("angry", "anxious", "satisfied", "neutral")


@dataclass(frozen=True, slots=True)
class SentimentPrediction:
    """What the sentiment tagger says about one message.

    Attributes
    ----------
    polarity
        ``"negative"``, ``"neutral"`` or ``"positive"``.
    score
        In ``[-1, 1]``; ``2 * P(positive) - 1`` where ``P(positive)`` is the model's probability after
        the lexicon prior (see :mod:`processors.sentiment.model`). Shrunk towards 0 when the message is
        a plain question or request, so ranking by score keeps those near the middle.
    emotion
        ``"angry"``, ``"anxious"``, ``"satisfied"`` or ``"neutral"``.
    emotion_confidence
        Softmax probability of ``emotion`` among the four emotions, in ``[0.25, 1]``.
    """

    polarity: Polarity
    score: float
    emotion: Emotion
    emotion_confidence: float
