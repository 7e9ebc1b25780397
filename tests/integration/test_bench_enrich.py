"""`kefu bench enrich` end to end: both runners, two processes each in one consumer group, on the real embedded
broker and registry. A short run loses and duplicates nothing and reports every figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
REPO = Path(__file__).resolve().parents[2]


def test_two_worker_rounds_lose_nothing_and_report_rates_latency_and_the_ratio() -> None:
    command = [sys.executable, "-m", "kefu", "bench", "enrich", "--events", "2000", "--seconds", "2"]
    result = subprocess.run(
        [*command, "--rounds", "1", "--workers", "2", "--rate", "200"],
        cwd=REPO, capture_output=True, text=True, timeout=540, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["workers"] == 2 and report["rounds"] == 1
    for runner in ("faust", "plain_confluent_loop"):
        figures = report[runner]
        assert figures["lost"] == 0 and figures["duplicates"] == 0, figures
        assert figures["events_per_s"] > 0 and figures["events_per_runner_cpu_s"] > 0, figures
        assert figures["latency_ms"]["events"] >= 300, figures  # 2 s at 200/s, all read back
    assert report["faust_to_plain_ratio"] == pytest.approx(
        report["faust"]["events_per_s"] / report["plain_confluent_loop"]["events_per_s"], abs=0.001
    )
