"""`kefu bench chain` and the workers' collector settings."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from kefu.settings import Settings
from streams.bench.chain import run_chain_bench
from streams.gc_tuning import YOUNG_GENERATION_THRESHOLD, tune_gc_for_streaming


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_chain_bench_times_every_step_of_the_stage() -> None:
    report = run_chain_bench(Settings(), events=300, batch_size=100, tune_gc=False)
    rates = report["events_per_cpu_s"]
    assert set(rates) == {
        "whole_stage",
        "avro_decode",
        "dedupe",
        "pii",
        "intent",
        "sentiment",
        "enrichment_chain",
        "avro_encode",
    }
    assert all(rate > 0 for rate in rates.values())
    # The whole stage does every step, so it cannot be faster than its slowest one.
    assert rates["whole_stage"] <= min(rates.values()) * 1.5
    assert report["gc_tuned"] is False


@pytest.mark.usefixtures("restored_gc")
def test_tuning_freezes_start_up_objects_and_raises_the_young_threshold() -> None:
    tune_gc_for_streaming()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD
