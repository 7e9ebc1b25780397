"""Training hyper-parameters of the intent model, with the defaults chosen on CIC."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["IntentParams"]


@dataclass(frozen=True, slots=True)
class IntentParams:
    """Knobs accepted by :meth:`IntentModel.train` as keyword arguments.

    Attributes
    ----------
    regularization
        LinearSVC ``C``. Small because CIC's labels are noisy: on a held-out slice of its training
        set 0.2 beat 0.05, 0.1 and 0.5.
    ngram_min, ngram_max
        Character n-gram sizes (1-4-grams and jieba word n-grams did no better on CIC).
    min_df
        Drop n-grams seen in fewer documents (keeps big models small).
    class_weight
        ``None`` or ``"balanced"`` (balanced did not help on CIC).
    calibration_folds
        Cross-validation folds whose out-of-fold scores fit the calibration.
    unknown_quantile, multi_quantile
        See :func:`processors.intent.calibration.fit_calibration`.
    max_intents
        Most labels reported in ``IntentPrediction.intents``.
    update_aggressiveness
        Cap on each passive-aggressive step of :meth:`IntentModel.partial_update`.
    """

    regularization: float = 0.2
    ngram_min: int = 1
    ngram_max: int = 3
    min_df: int = 1
    class_weight: str | None = None
    calibration_folds: int = 3
    unknown_quantile: float = 0.05
    multi_quantile: float = 0.98
    max_intents: int = 3
    update_aggressiveness: float = 0.5

    @classmethod
    def from_kwargs(cls, params: dict[str, Any]) -> IntentParams:
        """Build from keyword arguments; an unknown name is a ``TypeError`` (catches typos)."""
        unknown = set(params) - set(cls.__dataclass_fields__)
        if unknown:
            raise TypeError(f"unknown intent model parameters: {sorted(unknown)}")
        return cls(**params)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for ``metadata.json``."""
        return asdict(self)
