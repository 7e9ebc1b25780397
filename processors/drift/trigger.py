"""Turning detections into ``RetrainTrigger`` datums (schemas/avro/RetrainTrigger.avsc)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from processors.drift.metrics import Severity

__all__ = ["Detection", "build_trigger", "trigger_id"]

_SEVERITY_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True, slots=True)
class Detection:
    """One detector alarm on one (tenant, metric) series, with its evidence in the metric's units."""

    tenant_id: str | None
    metric: str
    model: str
    detector: str
    window_start: int
    window_end: int
    mean_before: float
    mean_after: float
    n_before: int
    n_after: int
    severity: Severity

    @property
    def magnitude(self) -> float:
        """New mean minus old mean, in the metric's units."""
        return self.mean_after - self.mean_before


def trigger_id(tenant_id: str | None, model: str, metric: str, window_start: int, window_end: int) -> str:
    """A stable id for a trigger, so replaying the same stream emits the same ids (sinks dedupe on them).

    >>> trigger_id("acme", "intent", "oov_rate", 0, 1000)
    'drift-3d30bca499ebbb0f3435bd19'
    """
    key = "\x1f".join([tenant_id or "", model, metric, str(window_start), str(window_end)])
    return "drift-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def _figure(value: float) -> str:
    return f"{value:.6g}"


def build_trigger(detections: Sequence[Detection]) -> dict[str, Any]:
    """One trigger datum for detections of the same tenant and model (merged by the monitor).

    The most severe detection (the earliest among equals) names the metric, detector, magnitude and severity;
    the window spans all of them; every detection's figures are in ``evidence`` under ``<metric>.<figure>``.
    """
    if not detections:
        raise ValueError("a trigger needs at least one detection")
    if len({(d.tenant_id, d.model) for d in detections}) != 1:
        raise ValueError("detections of one trigger must share tenant and model")
    primary = max(detections, key=lambda d: (_SEVERITY_RANK[d.severity], -d.window_end))
    window_start = min(d.window_start for d in detections)
    window_end = max(d.window_end for d in detections)
    evidence = {
        "detector": primary.detector,
        "mean_before": _figure(primary.mean_before),
        "mean_after": _figure(primary.mean_after),
        "n_before": str(primary.n_before),
        "n_after": str(primary.n_after),
        "metrics": ",".join(sorted({d.metric for d in detections})),
    }
    for d in detections:
        evidence[f"{d.metric}.magnitude"] = _figure(d.magnitude)
        evidence[f"{d.metric}.mean_before"] = _figure(d.mean_before)
        evidence[f"{d.metric}.mean_after"] = _figure(d.mean_after)
        evidence[f"{d.metric}.n_after"] = str(d.n_after)
        evidence[f"{d.metric}.severity"] = d.severity
    return {
        "event_id": trigger_id(primary.tenant_id, primary.model, primary.metric, window_start, window_end),
        "tenant_id": primary.tenant_id,
        "model": primary.model,
        "metric": primary.metric,
        "detector": primary.detector,
        "window_start": window_start,
        "window_end": window_end,
        "magnitude": float(primary.magnitude),
        "severity": primary.severity,
        "evidence": evidence,
        # Detection time is the end of the evidence window, not the wall clock, so a replay gives the same datum.
        "ts": window_end,
    }
