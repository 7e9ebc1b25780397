"""River change detectors built from a :class:`~processors.drift.metrics.MetricSpec`."""

from __future__ import annotations

from typing import Protocol

from river import drift

from processors.drift.metrics import MetricSpec

__all__ = ["ChangeDetector", "make_detector"]


class ChangeDetector(Protocol):
    """What the monitor needs of a river detector."""

    @property
    def drift_detected(self) -> bool: ...

    def update(self, x: float) -> object: ...


def make_detector(spec: MetricSpec) -> ChangeDetector:
    """A fresh detector for one (tenant, metric) series, fed values scaled to ``[0, 1]``.

    PageHinkley watches only the direction that asks for a retrain (``mode="up"``/``"down"``), which halves its
    false alarms; ADWIN has no direction and the monitor filters its detections instead.

    >>> detector = make_detector(MetricSpec("unknown_intent_rate", "intent"))
    >>> type(detector).__name__, detector.delta
    ('ADWIN', 0.002)
    """
    if spec.detector == "ADWIN":
        detector: ChangeDetector = drift.ADWIN(delta=spec.adwin_delta)
        return detector
    if spec.detector == "PageHinkley":
        mode = {1: "up", -1: "down", 0: "both"}[spec.bad_direction]
        detector = drift.PageHinkley(
            min_instances=30, delta=spec.ph_delta, threshold=spec.ph_threshold, alpha=spec.ph_alpha, mode=mode
        )
        return detector
    raise ValueError(f"unknown detector {spec.detector!r}")
