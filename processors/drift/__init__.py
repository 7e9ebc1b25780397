"""Drift detection over the stream's quality signals, per tenant, with river detectors (pure logic).

Public surface: :class:`DriftMonitor` (``update`` -> ``RetrainTrigger`` datums), :class:`DriftParams`,
:class:`MetricSpec` and :data:`DEFAULT_METRICS`, the ``signals_from_*`` mappings from records to metric values,
:class:`CentroidDistance` and :func:`build_trigger`.
"""

from processors.drift.centroid import CentroidDistance
from processors.drift.metrics import DEFAULT_METRICS, MetricSpec
from processors.drift.monitor import DriftMonitor, DriftParams
from processors.drift.signals import (
    Signal,
    signals_from_enriched,
    signals_from_enriched_batch,
    signals_from_feedback,
    signals_from_reply,
)
from processors.drift.trigger import Detection, build_trigger, trigger_id

__all__ = [
    "DEFAULT_METRICS",
    "CentroidDistance",
    "Detection",
    "DriftMonitor",
    "DriftParams",
    "MetricSpec",
    "Signal",
    "build_trigger",
    "signals_from_enriched",
    "signals_from_enriched_batch",
    "signals_from_feedback",
    "signals_from_reply",
    "trigger_id",
]
