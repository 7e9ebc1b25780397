"""``kefu bench drift-agent``: what the drift agent's stage costs a worker, next to the enrichment it follows.

Both run in this process on the same customer messages (the shipped sample texts): the enrichment pipeline (dedupe,
PII, intent, sentiment) as the reference, then the drift stage on the encoded ``EnrichedEvent`` records (Avro
decode, OOV scoring with the shipped intent model, ADWIN per metric). Prints JSON.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from kefu.settings import Settings
from processors.intent.default import SAMPLE_DATA_DIR
from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from streams import topics
from streams.drift_agent import drift_stage
from streams.enricher import build_enrichment_pipeline
from streams.records import InRecord

__all__ = ["run_drift_agent_bench"]


def run_drift_agent_bench(events: int = 20_000, batch: int = 500) -> dict[str, Any]:
    """Events per second of enrichment and of the drift stage, in batches of ``batch``."""
    import json

    texts = [json.loads(line)["text"] for line in (SAMPLE_DATA_DIR / "intents.jsonl").open(encoding="utf-8")]
    settings = Settings()
    pipeline = build_enrichment_pipeline(settings)
    t0 = 1_795_219_200_000
    inbound = [
        {"event_id": f"e{i}", "conversation_id": f"c{i}", "tenant_id": f"t{i % 4}", "channel": "web",
         "user_id": f"u{i}", "role": "customer", "text": texts[i % len(texts)], "ts": t0 + i * 100,
         "locale": "zh-CN", "metadata": {}}
        for i in range(events)
    ]  # fmt: skip
    started = time.perf_counter()
    enriched = [d for start in range(0, events, batch) for d in pipeline(inbound[start : start + batch]) if d]
    enrich_s = time.perf_counter() - started

    client = registry_client(f"mock://bench-drift-{uuid.uuid4()}")
    codec = AvroCodec(client, schema("EnrichedEvent"), f"{topics.ENRICHED}-value")
    records = [InRecord(topics.ENRICHED, 0, i, None, codec.encode(d)) for i, d in enumerate(enriched)]
    stage = drift_stage(settings, client, pipeline.intent_model.unseen_ngram_rate)
    started = time.perf_counter()
    for start in range(0, len(records), batch):
        stage.consume(records[start : start + batch])
    drift_s = time.perf_counter() - started
    return {
        "events": len(records),
        "batch": batch,
        "enrich_events_per_s": round(len(enriched) / enrich_s),
        "drift_stage_events_per_s": round(len(records) / drift_s),
        "drift_cost_relative_to_enrich": round(drift_s / enrich_s, 3),
        "detections": stage.monitor.counts["detections"],
    }
