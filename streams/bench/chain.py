"""``kefu bench chain``: the inbound stage in-process on one core, whole and stage by stage; prints JSON.

No broker: the benchmark's synthetic events are Avro-encoded once, then the very :class:`InboundStage` the
Faust agent and the plain loop run processes them in worker-sized batches. Each stage of the enrichment chain
is also timed on its own over the same batches (decode, dedupe, PII masking, intent, sentiment, encode), so a
change shows where it saved. Rates are events per second of CPU time of this process (``time.process_time``),
which a busy machine disturbs far less than wall time; run with ``OMP_NUM_THREADS=1``.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from kefu.settings import Settings
from processors.dedupe import DedupeConfig, Deduplicator
from processors.enrichment import TAGGED_ROLES, EnrichmentPipeline
from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from streams import topics
from streams.bench.events import synthetic_event
from streams.enricher import build_inbound_stage
from streams.gc_tuning import tune_gc_for_streaming
from streams.inbound import with_named_branches
from streams.records import InRecord

ROUNDS = 3


def _best_rate(events: int, batches: Sequence[Any], work: Callable[[Any], object], reset: Callable[[], None]) -> float:
    """Best of ``ROUNDS`` passes: events per CPU second of ``work`` over every batch."""
    best = 0.0
    for _ in range(ROUNDS):
        reset()
        started = time.process_time()
        for batch in batches:
            work(batch)
        best = max(best, events / max(time.process_time() - started, 1e-9))
    return round(best)


def run_chain_bench(settings: Settings, events: int, batch_size: int, *, tune_gc: bool = True) -> dict[str, Any]:
    """Events per CPU second of the whole stage and of each of its steps on the same batches."""
    client = registry_client("mock://bench-chain")
    stage = build_inbound_stage(settings, client)
    if tune_gc:
        tune_gc_for_streaming()  # as the workers do
    pipeline = stage.enricher
    assert isinstance(pipeline, EnrichmentPipeline)
    inbound = AvroCodec(client, schema("ConversationEvent"), f"{settings.topic(topics.INBOUND)}-value")
    rng = random.Random(7)
    now = int(time.time() * 1000)
    datums = [synthetic_event(i, "chain", now, rng) for i in range(events)]
    records = [
        InRecord(topics.INBOUND, 0, i, d["conversation_id"].encode(), inbound.encode(d)) for i, d in enumerate(datums)
    ]
    record_batches = [records[i : i + batch_size] for i in range(0, events, batch_size)]
    event_batches = [datums[i : i + batch_size] for i in range(0, events, batch_size)]

    def fresh_dedupe() -> None:
        # Every pass sees new events: a remembered id would turn the next pass into duplicates.
        pipeline.deduplicator = Deduplicator(DedupeConfig(max_conversations=settings.dedupe_max_conversations))

    def nothing() -> None:
        return None

    masked_batches = [[pipeline.masker.mask(e["text"]).masked for e in batch] for batch in event_batches]
    tagged_batches = [
        [text for text, e in zip(texts, batch, strict=True) if e["role"] in TAGGED_ROLES]
        for texts, batch in zip(masked_batches, event_batches, strict=True)
    ]
    enriched_batches = [pipeline(batch) for batch in event_batches]
    fresh_dedupe()
    enriched = stage.enriched
    rates = {
        "whole_stage": _best_rate(events, record_batches, stage.process, fresh_dedupe),
        "avro_decode": _best_rate(events, records, lambda r: stage.inbound.decode(r.value), nothing),
        # A lambda, not the bound method: fresh_dedupe replaces the deduplicator before each pass.
        "dedupe": _best_rate(events, datums, lambda e: pipeline.deduplicator.check(e), fresh_dedupe),  # noqa: PLW0108
        "pii": _best_rate(events, event_batches, lambda b: [pipeline.masker.mask(e["text"]) for e in b], nothing),
        "intent": _best_rate(events, tagged_batches, pipeline.intent_model.predict, nothing),
        "sentiment": _best_rate(events, tagged_batches, pipeline.sentiment_model.predict, nothing),
        "enrichment_chain": _best_rate(events, event_batches, pipeline, fresh_dedupe),
        "avro_encode": _best_rate(
            events,
            [with_named_branches(e) for batch in enriched_batches for e in batch if e is not None],
            enriched.encode,
            nothing,
        ),
    }
    return {
        "events": events,
        "batch_size": batch_size,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "gc_tuned": tune_gc,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "events_per_cpu_s": rates,
    }
