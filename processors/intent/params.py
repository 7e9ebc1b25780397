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
        LinearSVC ``C``. On a held-out slice of CIC train, 0.2 beat 0.05, 0.1 and 0.5 without the
        noise filter; with it (cleaner data) 0.5 beat 0.2 and 1.0.
    ngram_min, ngram_max
        Character n-gram sizes (1-4-grams and jieba word n-grams did no better on CIC).
    min_df
        Drop n-grams seen in fewer documents (keeps big models small).
    class_weight
        ``None`` or ``"balanced"``. Balanced: +1.3 points of held-out macro-F1 on CIC once the noise
        filter runs (without it, it did not help: CIC's random wrong labels are spread evenly over the
        labels, so the rarest labels are the noisiest and weighting them up weighted the noise up).
    calibration_folds
        Cross-validation folds whose out-of-fold scores fit the calibration.
    noise_rank_cutoffs
        Rounds of the label-noise filter (:mod:`processors.intent.noise`): in each, a training row
        whose given label has at least this many labels above it in out-of-fold scores is dropped.
        ``()`` turns the filter off; ``(10, 3)`` was best of the settings tried on CIC.
    noise_folds
        Cross-validation folds of each noise-filter round.
    noise_relabel_min_probability
        A row the filter dropped comes back under another label when a model trained on the kept rows
        gives that label at least this calibrated probability (:mod:`processors.intent.noisy_rows`);
        ``None`` leaves every dropped row out. 0.5 gained 1.1 points of macro-F1 on CIC dev's audited
        clean rows (0.7 and 0.9 gained less), for 0.4 points of accuracy and a few more ``unknown`` answers.
    label_description_copies
        How many times each label description (a training row whose text is its label, as
        :func:`~processors.intent.examples.with_label_descriptions` adds them) counts in training: the only rows
        of a label-noisy set known to be right. On CIC, 5 gained 1.1 points of macro-F1 on the audited clean dev
        rows over eleven row orders of train, 10 of them up (2: +0.2, 3: +0.3, 8: +0.4 over fewer orders;
        docs/benchmarks.md). Data without descriptions (labels that are ids) is unaffected.
    noise_min_examples_per_label
        The filter runs only when the data has at least this many examples per label on average: with
        fewer, out-of-fold ranks are unreliable and the filter drops clean rows (on the project's own
        551-row sample set, 24 labels, it cost 14 points of training accuracy). CIC has about 85.
    unknown_quantile, multi_quantile
        See :func:`processors.intent.calibration.fit_calibration`.
    max_intents
        Most labels reported in ``IntentPrediction.intents``.
    update_aggressiveness
        Cap on each passive-aggressive step of :meth:`IntentModel.partial_update`.
    """

    regularization: float = 0.5
    ngram_min: int = 1
    ngram_max: int = 3
    min_df: int = 1
    class_weight: str | None = "balanced"
    calibration_folds: int = 3
    noise_rank_cutoffs: tuple[int, ...] = (10, 3)
    noise_folds: int = 5
    noise_relabel_min_probability: float | None = 0.5
    label_description_copies: int = 5
    noise_min_examples_per_label: int = 50
    unknown_quantile: float = 0.05
    multi_quantile: float = 0.98
    max_intents: int = 3
    update_aggressiveness: float = 0.5

    def __post_init__(self) -> None:
        # metadata.json stores the cutoffs as a list; keep the field hashable and typed as declared.
        object.__setattr__(self, "noise_rank_cutoffs", tuple(int(cutoff) for cutoff in self.noise_rank_cutoffs))
        if self.label_description_copies < 1:
            raise ValueError("label_description_copies must be at least 1")

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
