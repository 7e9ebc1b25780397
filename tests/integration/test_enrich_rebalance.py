"""A second Faust worker joins while the first drains a backlog: the rebalance loses no event.

The live rebalance is where Faust suspends its consumer's flow and gives up records it was handing to the streams
(streams/faust_drain.py keeps that behaviour); the events those records carry must still be enriched once the
partitions are read again. Runs on the benchmark's own broker and registry (the production commands).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from streams import topics
from streams.admin import ensure_topics, register_schemas
from streams.bench.enrich import RUNNERS, OutputReader, _produce_backlog, enrichment_only_env, start_stack
from streams.children import Child

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
EVENTS = 100_000  # one worker needs ~20 s for this; the second joins ~10-15 s after the first outputs
PARTITIONS = 4


def worker(stack_bootstrap: str, registry: str, run_dir: Path, prefix: str, n: int) -> Child:
    run_dir.mkdir(parents=True)
    env = enrichment_only_env(stack_bootstrap, registry, prefix, PARTITIONS, run_dir)
    return Child(f"worker-{n}", RUNNERS["faust"](str(run_dir / "ready"), n), env, run_dir / "worker.log", True)


def test_a_worker_joining_mid_backlog_loses_no_event(tmp_path: Path) -> None:
    stack = start_stack(tmp_path, PARTITIONS)
    workers: list[Child] = []
    try:
        prefix = "rebalance."
        ensure_topics(stack.bootstrap, PARTITIONS, 1, prefix)
        register_schemas(stack.registry, prefix)
        client = registry_client(stack.registry)
        inbound_topic, enriched_topic = f"{prefix}{topics.INBOUND}", f"{prefix}{topics.ENRICHED}"
        inbound = AvroCodec(client, schema("ConversationEvent"), f"{inbound_topic}-value")
        enriched = AvroCodec(client, schema("EnrichedEvent"), f"{enriched_topic}-value")
        backlog = _produce_backlog(stack, inbound, inbound_topic, "rebalance", EVENTS)
        workers = [worker(stack.bootstrap, stack.registry, tmp_path / f"w{i}", prefix, i) for i in range(2)]
        reader = OutputReader(stack, enriched_topic, enriched)
        workers[0].start()
        while not reader.arrivals:
            reader.read_until({"first outputs"}, timeout_s=1)
        workers[1].start()
        second_ready = tmp_path / "w1" / "ready"
        deadline = time.monotonic() + 240
        while not second_ready.exists() and time.monotonic() < deadline:
            reader.read_until({"until the second worker joins"}, timeout_s=0.2)
        enriched_when_second_joined = len(reader.arrivals)
        print(f"{enriched_when_second_joined} of {EVENTS} events enriched when the second worker joined")
        reader.read_until(backlog, timeout_s=300)
        reader.close()

        assert second_ready.exists(), "the second worker never joined the group"
        assert enriched_when_second_joined < EVENTS, "the backlog was drained before the rebalance: nothing tested"
        assert backlog <= reader.arrivals.keys(), f"{len(backlog - reader.arrivals.keys())} events lost"
    finally:
        for child in reversed(workers):
            child.stop()
        stack.stop()
