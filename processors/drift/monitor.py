"""The drift monitor: one river detector per (tenant, metric), debounced into ``RetrainTrigger`` datums."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from processors.drift.detectors import ChangeDetector, make_detector
from processors.drift.evidence import RecentValues, change_point
from processors.drift.metrics import DEFAULT_METRICS, MetricSpec
from processors.drift.signals import Signal
from processors.drift.trigger import Detection, build_trigger

__all__ = ["DriftMonitor", "DriftParams"]


@dataclass(frozen=True, slots=True)
class DriftParams:
    """Debouncing of detections into triggers (event time, milliseconds).

    Attributes
    ----------
    cooldown_ms
        After a (tenant, metric) caused a trigger, its further detections are suppressed this long: a detector
        keeps firing while a slow change goes on, and one retrain is what that change needs.
    merge_window_ms
        Detections of the same tenant and model within this long after the first one become one trigger: a new
        intent moves confidence, unknown rate and OOV rate together and asks for one retrain, not three.
        0 emits each detection at once.
    """

    cooldown_ms: int = 3_600_000
    merge_window_ms: int = 60_000


@dataclass(slots=True)
class _Series:
    """The state of one (tenant, metric): its detector and the values since its last change."""

    detector: ChangeDetector
    recent: RecentValues
    seen: int = 0
    since_n: int = 0
    since_sum: float = 0.0
    since_start: int = 0
    last_trigger_ts: int | None = None

    def record(self, value: float, ts: int) -> None:
        if self.since_n == 0:
            self.since_start = ts
        self.seen += 1
        self.since_n += 1
        self.since_sum += value
        self.recent.append(ts, value)

    def cut(self, spec: MetricSpec, tenant_id: str | None, ts: int) -> Detection | None:
        """The evidence of a change just detected; the "before" part is then forgotten.

        The split is the most likely change point among the values since the last change that are still kept
        (:func:`change_point`); values older than the ring count as "before".
        """
        kept = min(self.since_n, len(self.recent))
        if kept < 2:
            return None
        values, times = self.recent.values()[-kept:], self.recent.times()[-kept:]
        split = change_point(values)
        after_sum, n_after = float(values[split:].sum()), kept - split
        n_before = self.since_n - n_after
        mean_before, mean_after = (self.since_sum - after_sum) / n_before, after_sum / n_after
        detection = Detection(
            tenant_id=tenant_id,
            metric=spec.name,
            model=spec.model,
            detector=spec.detector,
            window_start=self.since_start,
            window_end=ts,
            mean_before=mean_before,
            mean_after=mean_after,
            n_before=n_before,
            n_after=n_after,
            severity=spec.severity(mean_after - mean_before),
        )
        self.since_n, self.since_sum, self.since_start = n_after, after_sum, int(times[split])
        return detection


@dataclass(slots=True)
class _Pending:
    deadline: int
    detections: list[Detection] = field(default_factory=list)


class DriftMonitor:
    """Watches metric streams per tenant and says when a model should be retrained.

    Feed it one value per event (see :mod:`processors.drift.signals`); it returns the ``RetrainTrigger`` datums
    that became due. A detection is ignored while the series warms up, when it goes the harmless way (confidence
    rising), and during its cool-down; detections of one tenant and model are merged for ``merge_window_ms``.
    Time is the events' own time, so a replay gives the same triggers with the same ``event_id``.

    Examples
    --------
    >>> import random
    >>> rng = random.Random(7)
    >>> monitor = DriftMonitor(params=DriftParams(merge_window_ms=0))
    >>> triggers = []
    >>> for i in range(3000):
    ...     rate = 0.10 if i < 1500 else 0.25
    ...     triggers += monitor.update("acme", "unknown_intent_rate", float(rng.random() < rate), ts=i * 1000)
    >>> [(t["metric"], t["severity"], t["window_end"] // 1000) for t in triggers]
    [('unknown_intent_rate', 'high', 1759)]
    >>> evidence = triggers[0]["evidence"]
    >>> evidence["mean_before"], evidence["mean_after"], evidence["n_after"]
    ('0.101167', '0.252294', '218')
    """

    def __init__(
        self, metrics: Mapping[str, MetricSpec] = DEFAULT_METRICS, params: DriftParams = DriftParams()
    ) -> None:
        self._metrics = dict(metrics)
        self._params = params
        self._series: dict[tuple[str | None, str], _Series] = {}
        self._pending: dict[tuple[str | None, str], _Pending] = {}
        self.counts: dict[str, int] = {
            "detections": 0,
            "warming_up": 0,
            "harmless_direction": 0,
            "cooling_down": 0,
            "triggers": 0,
        }

    @property
    def metrics(self) -> Mapping[str, MetricSpec]:
        """The metric specifications watched."""
        return self._metrics

    def update(self, tenant_id: str | None, metric: str, value: float, ts: int) -> list[dict[str, Any]]:
        """Add one observation; returns the trigger datums due at ``ts`` (usually none)."""
        spec = self._metrics.get(metric)
        if spec is None:
            raise ValueError(f"unknown drift metric {metric!r}; known: {sorted(self._metrics)}")
        key = (tenant_id, metric)
        series = self._series.get(key)
        if series is None:
            series = _Series(make_detector(spec), RecentValues(spec.evidence_window))
            self._series[key] = series
        series.detector.update(spec.scaled(value))
        series.record(value, ts)
        due = self.flush(ts) if self._pending else []
        if series.detector.drift_detected:
            detection = series.cut(spec, tenant_id, ts)
            if detection is not None and self._accept(spec, series, detection, ts):
                due.extend(self._add_pending(detection, ts))
        return due

    def update_many(self, signals: Iterable[Signal]) -> list[dict[str, Any]]:
        """:meth:`update` for each signal, in order."""
        due: list[dict[str, Any]] = []
        for signal in signals:
            due.extend(self.update(signal.tenant_id, signal.metric, signal.value, signal.ts))
        return due

    def flush(self, now_ms: int | None = None) -> list[dict[str, Any]]:
        """Emit the merged triggers whose merge window ended by ``now_ms`` (all of them when ``None``).

        Call it from a timer too, so a trigger is not held back when its tenant goes quiet.
        """
        ready = [key for key, pending in self._pending.items() if now_ms is None or pending.deadline <= now_ms]
        triggers = [build_trigger(self._pending.pop(key).detections) for key in ready]
        self.counts["triggers"] += len(triggers)
        return triggers

    def _accept(self, spec: MetricSpec, series: _Series, detection: Detection, ts: int) -> bool:
        self.counts["detections"] += 1
        reason = None
        if series.seen < spec.warmup:
            reason = "warming_up"
        elif not spec.is_bad(detection.magnitude):
            reason = "harmless_direction"
        elif series.last_trigger_ts is not None and ts - series.last_trigger_ts < self._params.cooldown_ms:
            reason = "cooling_down"
        if reason is not None:
            self.counts[reason] += 1
            return False
        series.last_trigger_ts = ts
        return True

    def _add_pending(self, detection: Detection, ts: int) -> list[dict[str, Any]]:
        key = (detection.tenant_id, detection.model)
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = _Pending(deadline=ts + self._params.merge_window_ms)
        pending.detections.append(detection)
        return self.flush(ts) if self._params.merge_window_ms == 0 else []
