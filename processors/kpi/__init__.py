"""Online KPIs: exact tumbling-window aggregates of conversation records, emitted as KpiSnapshot datums.

Public surface: :class:`KpiAggregator` (``add`` records, ``close_windows`` by watermark), :class:`Watermarks`,
:class:`Outcome`, and the definitions in :mod:`processors.kpi.definitions` (docs/kpis.md in words).
"""

from processors.kpi.aggregator import RECORD_TYPES, KpiAggregator, Outcome
from processors.kpi.definitions import NEGATIVE_EMOTIONS, quantile_exact, snapshot_id, window_start
from processors.kpi.watermark import Watermarks

__all__ = [
    "NEGATIVE_EMOTIONS",
    "RECORD_TYPES",
    "KpiAggregator",
    "Outcome",
    "Watermarks",
    "quantile_exact",
    "snapshot_id",
    "window_start",
]
