"""The drift monitor on seeded streams: what fires, what is debounced, and what the trigger looks like."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from fastavro.validation import validate

from processors.drift import (
    DEFAULT_METRICS,
    DriftMonitor,
    DriftParams,
    MetricSpec,
    signals_from_enriched_batch,
    signals_from_feedback,
    signals_from_reply,
)
from schemas.catalog import schema


def rate_stream(rng: random.Random, before: float, after: float, n: int = 4000, shift_at: int = 2000) -> list[float]:
    return [float(rng.random() < (before if i < shift_at else after)) for i in range(n)]


def feed(monitor: DriftMonitor, metric: str, values: list[float], *, tenant: str = "acme") -> list[dict[str, Any]]:
    triggers: list[dict[str, Any]] = []
    for i, value in enumerate(values):
        triggers += monitor.update(tenant, metric, value, ts=i * 1000)
    return triggers


def test_rising_unknown_rate_gives_one_high_trigger_that_fits_the_schema() -> None:
    monitor = DriftMonitor(params=DriftParams(merge_window_ms=0))
    triggers = feed(monitor, "unknown_intent_rate", rate_stream(random.Random(3), 0.10, 0.30))
    assert [(t["model"], t["metric"], t["severity"], t["detector"]) for t in triggers] == [
        ("intent", "unknown_intent_rate", "high", "ADWIN")
    ]
    trigger = triggers[0]
    assert 2000 < trigger["window_end"] // 1000 < 2400
    assert trigger["window_start"] == 0
    assert trigger["magnitude"] == pytest.approx(0.2, abs=0.05)
    assert float(trigger["evidence"]["mean_before"]) == pytest.approx(0.10, abs=0.02)
    assert (
        int(trigger["evidence"]["n_before"]) + int(trigger["evidence"]["n_after"]) == trigger["window_end"] // 1000 + 1
    )
    assert validate(trigger, schema("RetrainTrigger").parsed, raise_errors=True)


def test_stationary_stream_gives_no_trigger() -> None:
    monitor = DriftMonitor()
    assert feed(monitor, "handoff_rate", rate_stream(random.Random(5), 0.2, 0.2, n=30_000)) == []
    assert monitor.flush() == []


def test_a_harmless_change_is_not_a_trigger() -> None:
    monitor = DriftMonitor(params=DriftParams(merge_window_ms=0))
    assert feed(monitor, "handoff_rate", rate_stream(random.Random(3), 0.30, 0.10)) == []
    assert monitor.counts["harmless_direction"] == 1


def test_changes_during_warm_up_are_ignored() -> None:
    spec = MetricSpec("handoff_rate", "generator", warmup=5000)
    monitor = DriftMonitor({"handoff_rate": spec}, DriftParams(merge_window_ms=0))
    assert feed(monitor, "handoff_rate", rate_stream(random.Random(3), 0.10, 0.40)) == []
    assert monitor.counts["warming_up"] >= 1


def test_a_long_drift_triggers_once_per_cooldown() -> None:
    values = rate_stream(random.Random(11), 0.05, 0.0, n=3000, shift_at=1000)
    # A rate that keeps climbing: ADWIN fires again and again.
    values += [float(random.Random(i).random() < 0.05 + i / 20_000) for i in range(12_000)]
    storm = DriftMonitor(params=DriftParams(cooldown_ms=0, merge_window_ms=0))
    debounced = DriftMonitor(params=DriftParams(cooldown_ms=3_600_000, merge_window_ms=0))
    fired = feed(storm, "unknown_intent_rate", values)
    kept = feed(debounced, "unknown_intent_rate", values)
    assert (len(fired), len(kept)) == (4, 2)
    assert all(b["ts"] - a["ts"] >= 3_600_000 for a, b in itertools.pairwise(kept))
    assert debounced.counts["cooling_down"] == len(fired) - len(kept)


def test_simultaneous_metrics_of_one_model_merge_into_one_trigger() -> None:
    rng = random.Random(2)
    monitor = DriftMonitor(params=DriftParams(merge_window_ms=600_000))
    triggers: list[dict[str, Any]] = []
    for i in range(4000):
        shifted = i >= 2000
        triggers += monitor.update(
            "acme", "unknown_intent_rate", float(rng.random() < (0.4 if shifted else 0.1)), i * 1000
        )
        triggers += monitor.update(
            "acme", "oov_rate", rng.betavariate(6, 4) if shifted else rng.betavariate(3, 7), i * 1000
        )
        triggers += monitor.update("acme", "handoff_rate", float(rng.random() < 0.2), i * 1000)
    assert len(triggers) == 1
    evidence = triggers[0]["evidence"]
    assert evidence["metrics"] == "oov_rate,unknown_intent_rate"
    assert {"oov_rate.magnitude", "unknown_intent_rate.magnitude"} <= set(evidence)
    assert triggers[0]["model"] == "intent"


def test_pending_trigger_is_emitted_by_flush_when_the_tenant_goes_quiet() -> None:
    values = rate_stream(random.Random(3), 0.10, 0.40)
    [at_once] = feed(DriftMonitor(params=DriftParams(merge_window_ms=0)), "unknown_intent_rate", values)
    detected_at = at_once["window_end"]
    monitor = DriftMonitor(params=DriftParams(merge_window_ms=60_000))
    assert feed(monitor, "unknown_intent_rate", values[: detected_at // 1000 + 10]) == []
    assert monitor.flush(now_ms=detected_at + 59_999) == []
    assert [t["event_id"] for t in monitor.flush(now_ms=detected_at + 60_000)] == [at_once["event_id"]]


def test_replaying_a_stream_gives_the_same_trigger_ids() -> None:
    values = rate_stream(random.Random(9), 0.1, 0.3)
    first = feed(DriftMonitor(params=DriftParams(merge_window_ms=0)), "unknown_intent_rate", values)
    again = feed(DriftMonitor(params=DriftParams(merge_window_ms=0)), "unknown_intent_rate", values)
    other_tenant = feed(DriftMonitor(params=DriftParams(merge_window_ms=0)), "unknown_intent_rate", values, tenant="x")
    assert [t["event_id"] for t in first] == [t["event_id"] for t in again]
    assert first[0]["event_id"] != other_tenant[0]["event_id"]


def test_tenants_are_watched_separately() -> None:
    monitor = DriftMonitor(params=DriftParams(merge_window_ms=0))
    shifted = rate_stream(random.Random(3), 0.1, 0.4)
    steady = rate_stream(random.Random(4), 0.1, 0.1)
    triggers = []
    for i, (a, b) in enumerate(zip(shifted, steady, strict=True)):
        triggers += monitor.update("shifted", "unknown_intent_rate", a, i * 1000)
        triggers += monitor.update("steady", "unknown_intent_rate", b, i * 1000)
    assert [t["tenant_id"] for t in triggers] == ["shifted"]


def test_csat_fall_is_measured_in_stars() -> None:
    rng = random.Random(1)
    values = [float(rng.choice([4, 5, 5])) for _ in range(1500)] + [float(rng.choice([2, 3, 4])) for _ in range(1500)]
    [trigger] = feed(DriftMonitor(params=DriftParams(merge_window_ms=0)), "csat", values)
    assert trigger["model"] == "generator"
    assert trigger["magnitude"] == pytest.approx(-1.67, abs=0.25)
    assert trigger["severity"] == "high"


def test_unknown_metric_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown drift metric"):
        DriftMonitor().update("acme", "latency", 1.0, 0)


def test_every_default_metric_points_at_a_model() -> None:
    assert {spec.model for spec in DEFAULT_METRICS.values()} == {"intent", "sentiment", "generator"}


def test_signals_from_records() -> None:
    enriched = [
        {"tenant_id": "acme", "role": "customer", "text": "电话[PHONE_1]直播间", "ts": datetime(2026, 1, 1, tzinfo=UTC),
         "intent": "coupon", "intent_confidence": 0.9, "sentiment": {"emotion": "neutral"}},
        {"tenant_id": "acme", "role": "bot", "text": "好的", "ts": 0, "intent": None, "intent_confidence": None},
    ]  # fmt: skip
    seen: list[str] = []

    def oov(texts: Any) -> list[float]:
        seen.extend(texts)
        return [0.25] * len(texts)

    signals = signals_from_enriched_batch(enriched, oov=oov)
    assert seen == ["电话直播间"]
    assert [(s.metric, s.value) for s in signals] == [
        ("intent_confidence", 0.9),
        ("unknown_intent_rate", 0.0),
        ("negative_emotion_rate", 0.0),
        ("oov_rate", 0.25),
    ]
    assert signals[0].ts == 1_767_225_600_000
    assert signals_from_reply({"tenant_id": "acme", "handoff": None, "ts": 1})[0].value == 0.0
    assert signals_from_feedback({"tenant_id": "acme", "csat": 5, "ts": 1})[0].value == 5.0
