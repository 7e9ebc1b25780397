"""The CPU-time figure of ``kefu bench enrich``: backlog outputs per CPU second of the runner process."""

from __future__ import annotations

import os
import time

from streams.bench.enrich import _events_per_cpu_second, cpu_seconds


def test_cpu_seconds_counts_this_process_s_work() -> None:
    before = cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    assert cpu_seconds(os.getpid()) - before >= 0.15


def test_outputs_per_cpu_second_between_the_first_and_the_last_arrival() -> None:
    # (outputs seen so far, runner CPU seconds) at each arrival: 3,000 outputs more over 0.6 CPU seconds
    assert _events_per_cpu_second([(1_000, 10.0), (2_500, 10.3), (4_000, 10.6)]) == 5_000.0
    assert _events_per_cpu_second([(1_000, 10.0)]) is None
    assert _events_per_cpu_second([(1_000, 10.0), (1_200, 10.0)]) is None
