"""Detection delay and false alarms of the drift monitor on synthetic streams (``kefu bench drift``).

Each metric gets a stream of a stationary segment and then a shift of a known size in the harmful direction, at a
known index, for several seeds; a second, stationary-only run measures false alarms. Debouncing is off
(``cooldown_ms=0``) so every detector alarm counts: the figures are the detectors', not the cool-down's.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from processors.drift.metrics import DEFAULT_METRICS, DetectorKind, MetricSpec
from processors.drift.monitor import DriftMonitor, DriftParams

__all__ = ["SCENARIOS", "Scenario", "run_drift_bench"]

Sampler = Callable[[random.Random], float]


def _bernoulli(p: float) -> Sampler:
    return lambda rng: float(rng.random() < p)


def _beta(mean: float, concentration: float = 10.0) -> Sampler:
    a, b = mean * concentration, (1 - mean) * concentration
    return lambda rng: rng.betavariate(a, b)


def _csat(weights: Sequence[float]) -> Sampler:
    scores = (1.0, 2.0, 3.0, 4.0, 5.0)
    return lambda rng: rng.choices(scores, weights)[0]


@dataclass(frozen=True, slots=True)
class Scenario:
    """A metric's stream before and after the shift; ``shift`` is the change of the mean in metric units."""

    metric: str
    before: Sampler
    after: Sampler
    shift: float


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("intent_confidence", _beta(0.75), _beta(0.65), -0.10),
    Scenario("unknown_intent_rate", _bernoulli(0.10), _bernoulli(0.16), 0.06),
    Scenario("oov_rate", _beta(0.33), _beta(0.43), 0.10),
    Scenario("negative_emotion_rate", _bernoulli(0.15), _bernoulli(0.22), 0.07),
    Scenario("handoff_rate", _bernoulli(0.20), _bernoulli(0.27), 0.07),
    # Means 4.2 and 3.9.
    Scenario("csat", _csat((0.03, 0.04, 0.1, 0.35, 0.48)), _csat((0.05, 0.06, 0.15, 0.4, 0.34)), -0.30),
)


def _alarms(spec: MetricSpec, values: Sequence[float]) -> list[int]:
    """Indices at which the monitor accepted a detection (harmful direction, after warm-up)."""
    monitor = DriftMonitor({spec.name: spec}, DriftParams(cooldown_ms=0, merge_window_ms=0))
    alarms: list[int] = []
    for index, value in enumerate(values):
        if monitor.update("bench", spec.name, value, ts=index * 1000):
            alarms.append(index)
    return alarms


def _percentile(values: Sequence[int], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))])


def run_drift_bench(
    *,
    seeds: int = 10,
    before: int = 5000,
    after: int = 5000,
    stationary: int = 50_000,
    stationary_seeds: int = 4,
    detectors: Sequence[DetectorKind] = ("ADWIN", "PageHinkley"),
) -> dict[str, Any]:
    """Figures per detector and metric: delay after the shift (mean/p50/p90), misses, false alarms per 10k."""
    results: dict[str, Any] = {
        "setup": {
            "seeds": seeds,
            "events_before_shift": before,
            "events_after_shift": after,
            "stationary_events": stationary,
            "stationary_seeds": stationary_seeds,
        },
        "detectors": {},
    }
    for detector in detectors:
        per_metric: dict[str, Any] = {}
        for scenario in SCENARIOS:
            spec = replace(DEFAULT_METRICS[scenario.metric], detector=detector)
            delays: list[int] = []
            early = 0
            for seed in range(seeds):
                rng = random.Random(seed)
                values = [scenario.before(rng) for _ in range(before)] + [scenario.after(rng) for _ in range(after)]
                alarms = _alarms(spec, values)
                early += sum(1 for index in alarms if index < before)
                late = [index - before for index in alarms if index >= before]
                if late:
                    delays.append(late[0])
            false_alarms = 0
            for seed in range(stationary_seeds):
                rng = random.Random(10_000 + seed)
                false_alarms += len(_alarms(spec, [scenario.before(rng) for _ in range(stationary)]))
            per_metric[scenario.metric] = {
                "shift": scenario.shift,
                "detected": len(delays),
                "missed": seeds - len(delays),
                "delay_mean": round(statistics.fmean(delays), 1) if delays else None,
                "delay_p50": _percentile(delays, 0.5),
                "delay_p90": _percentile(delays, 0.9),
                "false_alarms_before_shift": early,
                "false_alarms_per_10k_stationary": round(false_alarms * 10_000 / (stationary * stationary_seeds), 3),
            }
        results["detectors"][detector] = per_metric
    return results
