"""The result of classifying one message."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["UNKNOWN_INTENT", "IntentPrediction"]

UNKNOWN_INTENT = "unknown"
"""Label returned when no intent is confident enough (off-topic text, gibberish, an unseen need)."""


@dataclass(frozen=True, slots=True)
class IntentPrediction:
    """Intent of one message.

    Attributes
    ----------
    intent
        The best label, or ``"unknown"`` when even the best label is below the model's calibrated
        unknown threshold.
    confidence
        Calibrated probability that the best label applies. For ``"unknown"`` it is the probability
        of the best label, which is the out-of-scope class when the model learnt one from examples
        labelled ``unknown`` and it won, otherwise the rejected best guess (so callers see how
        close it came).
    intents
        ``intent`` first, then every other label whose calibrated probability (in the whole message
        or in one of its clauses) reaches the multi-intent threshold, most probable first; empty
        when ``intent`` is ``"unknown"``. A message asking two things ("退货，顺便开发票") carries
        both.
    """

    intent: str
    confidence: float
    intents: tuple[tuple[str, float], ...]
