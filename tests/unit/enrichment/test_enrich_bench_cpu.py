"""``kefu bench enrich``'s figures: outputs per CPU second of the runner process, and the rounds' summary."""

from __future__ import annotations

import os
import time

import numpy as np

from streams.bench.enrich import CpuSampler, RunnerRound, _ratio, cpu_seconds, events_per_cpu_second, summarise


def test_cpu_seconds_counts_this_process_s_work() -> None:
    before = cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    assert cpu_seconds(os.getpid()) - before >= 0.15


def test_outputs_per_cpu_second_between_the_first_and_the_last_output_s_produce_time() -> None:
    # CPU seconds sampled at wall ms 0, 1,000 and 2,000; outputs produced from 500 to 1,500 ms
    samples = [(0.0, 10.0), (1_000.0, 10.4), (2_000.0, 10.6)]
    assert events_per_cpu_second(3_001, 500.0, 1_500.0, samples) == 3_000 / 0.3  # 10.2 -> 10.5 CPU seconds
    assert events_per_cpu_second(1, 500.0, 1_500.0, samples) is None
    assert events_per_cpu_second(3_001, 500.0, 1_500.0, samples[:1]) is None
    assert events_per_cpu_second(3_001, 500.0, 1_500.0, [(0.0, 10.0), (2_000.0, 10.0)]) is None  # no CPU used


def test_the_sampler_sums_the_cpu_of_every_runner_process() -> None:
    with CpuSampler([os.getpid(), os.getpid()], interval_s=0.01) as cpu:
        deadline = time.process_time() + 0.1
        while time.process_time() < deadline:
            pass
    assert len(cpu.samples) >= 2
    walls = [wall for wall, _ in cpu.samples]
    assert walls == sorted(walls)
    # sampled on entry and on exit, whenever the thread gets to run in between: 0.1 s of work, counted twice
    assert cpu.samples[-1][1] - cpu.samples[0][1] >= 0.15


def test_each_runner_is_summarised_by_the_median_of_its_rounds_and_the_ratio_is_of_the_medians() -> None:
    def round_of(rate: float | None, latencies: list[float], lost: int = 0) -> RunnerRound:
        return RunnerRound(rate, rate, lost, 0, np.array(latencies))

    faust = summarise([round_of(4_000.0, [60.0]), round_of(6_000.0, [80.0], lost=1), round_of(5_000.0, [70.0])], 1000)
    plain = summarise([round_of(7_000.0, [50.0]), round_of(None, []), round_of(9_000.0, [55.0])], 1000)
    assert (faust["events_per_s"], faust["lost"], faust["latency_ms"]["events"]) == (5_000.0, 1, 3)
    assert plain["events_per_s"] == 8_000.0  # a round without a figure is left out, not counted as zero
    assert [r["events_per_s"] for r in faust["rounds"]] == [4_000.0, 6_000.0, 5_000.0]
    assert _ratio(faust["events_per_s"], plain["events_per_s"]) == 0.625
    assert _ratio(None, 8_000.0) is None
