"""What each drift metric is: its scale, the model it speaks for, its detector and how big a change matters.

Every detector sees values rescaled to ``[0, 1]`` (``(value - low) / (high - low)``), so one detector setting
fits rates, probabilities and CSAT alike; magnitudes and evidence are reported back in the metric's own units.
The defaults were chosen with ``kefu bench drift`` (docs/benchmarks.md): ADWIN with river's ``delta=0.002`` had no
false alarm in 200k stationary events of any metric, and found a 0.1 fall of confidence ~150 events late, a 0.06
rise of a 10 % rate ~750 events late. PageHinkley (threshold 25 on scaled values) finds rate shifts 2-3x sooner
but false-alarms on Bernoulli noise (0.4-0.9 per 10k events), so it is opt-in per metric; river's own default
threshold (50, for unscaled data) is not usable on ``[0, 1]`` values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "DEFAULT_METRICS",
    "DetectorKind",
    "Direction",
    "MetricSpec",
    "Severity",
]

DetectorKind = Literal["ADWIN", "PageHinkley"]
Severity = Literal["low", "medium", "high"]
Direction = Literal[1, -1, 0]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """How one metric is watched.

    Attributes
    ----------
    name
        Metric name, as in ``RetrainTrigger.metric``.
    model
        The model a drift of this metric asks to retrain (``intent``, ``sentiment``, ``generator``).
    low, high
        The metric's range; values are clipped to it and rescaled to ``[0, 1]`` for the detector.
    bad_direction
        ``1``: only a rise asks for a retrain (a rate of failures), ``-1``: only a fall (confidence, CSAT),
        ``0``: either. A change the other way still resets the evidence window but emits nothing.
    detector
        ``"ADWIN"`` or ``"PageHinkley"``.
    adwin_delta
        ADWIN's confidence parameter: smaller = fewer false alarms, later detection.
    ph_delta, ph_threshold, ph_alpha
        PageHinkley's magnitude allowance, alarm threshold and forgetting factor, in scaled units.
    warmup
        Observations of a (tenant, metric) before any detection counts: the first minutes of a new tenant are
        not a drift.
    severity_at
        ``(medium, high)``: the absolute change, in metric units, from which a drift is medium / high.
    evidence_window
        Most recent values kept (16 bytes each) to locate the change and measure the means around it.
    """

    name: str
    model: str
    low: float = 0.0
    high: float = 1.0
    bad_direction: Direction = 1
    detector: DetectorKind = "ADWIN"
    adwin_delta: float = 0.002
    ph_delta: float = 0.01
    ph_threshold: float = 25.0
    ph_alpha: float = 0.9999
    warmup: int = 200
    severity_at: tuple[float, float] = (0.05, 0.15)
    evidence_window: int = 2000
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.high > self.low:
            raise ValueError(f"{self.name}: high must be above low")
        if not 0 < self.severity_at[0] <= self.severity_at[1]:
            raise ValueError(f"{self.name}: severity_at must be 0 < medium <= high")

    def scaled(self, value: float) -> float:
        """``value`` clipped to the range and mapped to ``[0, 1]``.

        >>> MetricSpec("csat", "generator", low=1, high=5).scaled(4.0)
        0.75
        """
        clipped = min(max(value, self.low), self.high)
        return (clipped - self.low) / (self.high - self.low)

    def severity(self, magnitude: float) -> Severity:
        """``low``/``medium``/``high`` from the size of a change in metric units.

        >>> spec = MetricSpec("handoff_rate", "generator", severity_at=(0.05, 0.15))
        >>> spec.severity(0.02), spec.severity(-0.08), spec.severity(0.2)
        ('low', 'medium', 'high')
        """
        size = abs(magnitude)
        if size >= self.severity_at[1]:
            return "high"
        return "medium" if size >= self.severity_at[0] else "low"

    def is_bad(self, magnitude: float) -> bool:
        """Whether a change of ``magnitude`` goes the way that asks for a retrain."""
        return magnitude != 0 and (self.bad_direction == 0 or (magnitude > 0) == (self.bad_direction > 0))


DEFAULT_METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec(
            "intent_confidence",
            "intent",
            bad_direction=-1,
            description="Calibrated probability of the best intent of each customer message.",
        ),
        MetricSpec(
            "unknown_intent_rate",
            "intent",
            description="1 when a customer message's intent is 'unknown', else 0.",
        ),
        MetricSpec(
            "oov_rate",
            "intent",
            description="Share of a message's character bigrams that the intent model never saw in training.",
        ),
        MetricSpec(
            "text_centroid_distance",
            "intent",
            high=2.0,
            description="Cosine distance of a message embedding to the training-set centroid (needs an embedder).",
        ),
        MetricSpec(
            "negative_emotion_rate",
            "sentiment",
            description="1 when a customer message's emotion is angry or anxious, else 0.",
        ),
        MetricSpec(
            "handoff_rate",
            "generator",
            description="1 when a bot reply hands off to a human, else 0.",
        ),
        MetricSpec(
            "csat",
            "generator",
            low=1.0,
            high=5.0,
            bad_direction=-1,
            warmup=100,
            severity_at=(0.2, 0.5),
            description="Customer satisfaction score 1-5 from feedback.",
        ),
    )
}
"""The metrics watched by default; ``DriftMonitor`` takes any other mapping."""
