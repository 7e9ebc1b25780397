"""The online KPI agent on the real embedded platform: conversation records in, exact KpiSnapshots out."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from confluent_kafka import Producer

from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from streams.producer import BatchProducer, OutRecord, producer_config
from tests.integration.conftest import Platform, read_topic

pytestmark = pytest.mark.slow

WINDOW_MS = 60_000  # KEFU_KPI_WINDOW_S default
LATENESS_MS = 15_000  # KEFU_KPI_ALLOWED_LATENESS_S default


def enriched(
    event_id: str, conversation: str, tenant: str, channel: str, ts: int, intent: str | None, emotion: str, role: str
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "conversation_id": conversation,
        "tenant_id": tenant,
        "channel": channel,
        "user_id": f"u-{conversation}",
        "role": role,
        "text": "[masked]",
        "ts": ts,
        "intent": intent,
        "intent_confidence": None if intent is None else 0.9,
        "sentiment": {"polarity": "neutral", "score": 0.0, "emotion": emotion, "emotion_confidence": 0.9},
        "enriched_ts": ts + 3,
    }


def bot_reply(event_id: str, message: dict[str, Any], latency_ms: int) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "in_reply_to": message["event_id"],
        "conversation_id": message["conversation_id"],
        "tenant_id": message["tenant_id"],
        "channel": message["channel"],
        "text": "您好",
        "confidence": 0.8,
        "latency_ms": latency_ms,
        "model_profile": "fast",
        "ts": message["ts"] + latency_ms,
    }


def handoff(event_id: str, message: dict[str, Any], intent: str | None) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "conversation_id": message["conversation_id"],
        "tenant_id": message["tenant_id"],
        "channel": message["channel"],
        "reason": "customer_request",
        "intent": intent,
        "ts": message["ts"] + 10,
    }


def rating(event_id: str, message: dict[str, Any], csat: int | None) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "conversation_id": message["conversation_id"],
        "tenant_id": message["tenant_id"],
        "user_id": "u",
        "source": "customer",
        "csat": csat,
        "ts": message["ts"] + 20,
    }


def conversation_records(tenant: str, start: int) -> list[tuple[str, dict[str, Any]]]:
    """Four conversations in one window; docs of the expected rows are in the test below."""

    def msg(i: int, conv: str, channel: str, intent: str | None, emotion: str, role: str = "customer") -> Any:
        return enriched(f"{tenant}-m{i}", f"{tenant}-{conv}", tenant, channel, start + 1_000 * i, intent, emotion, role)

    m = [
        msg(0, "c0", "web", "refund", "angry"),
        msg(1, "c0", "web", "refund", "neutral"),
        msg(2, "c1", "web", "refund", "anxious"),
        msg(3, "c2", "app", "unknown", "neutral"),
        msg(4, "c2", "app", "delivery", "satisfied"),
        msg(5, "c3", "app", None, "neutral"),
        msg(6, "c3", "app", "refund", "angry", role="bot"),  # not a customer message: no KPI
    ]
    return [
        *(("conversations.enriched", e) for e in m),
        ("conversations.replies", bot_reply(f"{tenant}-r0", m[0], 100)),
        ("conversations.replies", bot_reply(f"{tenant}-r1", m[1], 300)),
        ("conversations.replies", bot_reply(f"{tenant}-r2", m[2], 200)),
        ("conversations.replies", bot_reply(f"{tenant}-r3", m[3], 1_000)),
        ("conversations.replies", bot_reply(f"{tenant}-r4", m[4], 50)),
        ("conversations.handoffs", handoff(f"{tenant}-h0", m[2], "refund")),
        ("conversations.handoffs", handoff(f"{tenant}-h1", m[5], None)),
        ("conversations.feedback", rating(f"{tenant}-f0", m[1], 5)),
        ("conversations.feedback", rating(f"{tenant}-f1", m[2], 3)),
        ("conversations.feedback", rating(f"{tenant}-f2", m[5], None)),
    ]


def produce(platform: Platform, records: list[tuple[str, dict[str, Any]]]) -> None:
    client = registry_client(platform.status["schema_registry"])
    record_of = {"conversations.enriched": "EnrichedEvent", "conversations.replies": "BotReply"}
    record_of |= {"conversations.handoffs": "Handoff", "conversations.feedback": "Feedback"}
    codecs = {topic: AvroCodec(client, schema(name)) for topic, name in record_of.items()}
    for topic, datum in records:  # fill defaults the contract gives (fastavro wants every field)
        for field in schema(record_of[topic]).json["fields"]:
            if field["name"] not in datum and "default" in field:
                datum[field["name"]] = field["default"]
    out = [OutRecord(t, d["conversation_id"].encode(), codecs[t].encode(d)) for t, d in records]
    BatchProducer(producer_config(platform.status["kafka"], 5)).deliver(out)


def advance_watermarks(platform: Platform, tenant: str, ts: int) -> None:
    """A customer message at ``ts`` on every partition, so every partition's watermark passes the window."""
    codec = AvroCodec(registry_client(platform.status["schema_registry"]), schema("EnrichedEvent"))
    producer = Producer({"bootstrap.servers": platform.status["kafka"]})
    for partition in range(4):
        tick = f"{tenant}-{partition}"
        datum = enriched(tick, tick, tenant, "web", ts, "x", "neutral", "customer")
        datum |= {"locale": "zh-CN", "metadata": {}, "pii_entities": [], "intents": [], "model_versions": {}}
        producer.produce("conversations.enriched", codec.encode(datum), b"tick", partition=partition)
    assert producer.flush(10) == 0


def latest_by_id(platform: Platform, tenant: str, expected: int) -> list[dict[str, Any]]:
    """Snapshots of ``tenant``; a correction has the same event_id as the row it replaces, so keep the last."""
    decoder = AvroCodec(registry_client(platform.status["schema_registry"]), schema("KpiSnapshot"))
    messages = read_topic(platform.status["kafka"], "kpi.snapshots", tenant.encode(), expected, timeout_s=30)
    latest: dict[str, dict[str, Any]] = {}
    for snapshot in sorted((decoder.decode(m.value()) for m in messages), key=lambda s: s["ts"]):
        if snapshot["tenant_id"] == tenant:  # the marker also matches the "tick-<tenant>" watermark records
            latest[snapshot["event_id"]] = snapshot
    return list(latest.values())


def summed(snapshots: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, int]]:
    """Counts per (channel, intent), summed over the partitions' partial snapshots as readers do."""
    counted = ("customer_messages", "conversations", "bot_replies", "handoffs", "unknown_intent")
    counted += ("negative_emotion", "csat_count", "csat_sum")
    rows: dict[tuple[str, str], dict[str, int]] = {}
    for s in snapshots:
        row = rows.setdefault((s["channel"], s["intent"]), dict.fromkeys(counted, 0))
        for name in counted:
            row[name] += s[name]
    return rows


def test_kpi_snapshots_count_every_kpi_exactly(platform: Platform) -> None:
    tenant = f"kpi-{uuid.uuid4().hex[:8]}"
    start = (int(time.time() * 1000) - 5 * WINDOW_MS) // WINDOW_MS * WINDOW_MS
    produce(platform, conversation_records(tenant, start))
    time.sleep(2)  # let the records be consumed before the watermark passes their window
    advance_watermarks(platform, f"tick-{uuid.uuid4().hex[:8]}", start + WINDOW_MS + LATENESS_MS + 1_000)

    snapshots = latest_by_id(platform, tenant, expected=4)

    assert {s["window_start"] for s in snapshots} == {start}
    assert {s["window_end"] for s in snapshots} == {start + WINDOW_MS}
    rows = summed(snapshots)
    assert set(rows) == {("web", "refund"), ("app", "unknown"), ("app", "delivery"), ("app", "")}
    assert rows["web", "refund"] == {
        "customer_messages": 3,
        "conversations": 2,
        "bot_replies": 3,
        "handoffs": 1,
        "unknown_intent": 0,
        "negative_emotion": 2,
        "csat_count": 2,
        "csat_sum": 8,
    }
    assert rows["app", "unknown"]["unknown_intent"] == rows["app", "unknown"]["bot_replies"] == 1
    assert (rows["app", ""]["customer_messages"], rows["app", ""]["handoffs"]) == (1, 1)
    latency = {s["intent"]: s["latency_p99_ms"] for s in snapshots if s["channel"] == "app"}
    assert (latency["unknown"], latency["delivery"], latency[""]) == (1000.0, 50.0, None)


def test_workers_export_kpi_lag_and_latency_metrics(platform: Platform) -> None:
    worker_metrics = [url for url in platform.status["metrics"] if "/metrics" in url][1:]
    text = httpx.get(worker_metrics[0], timeout=5).text

    for name in ("kefu_worker_consumer_lag{", 'kefu_worker_end_to_end_seconds_bucket{agent="kpi"', "kefu_kpi_"):
        assert name in text, f"{name} missing from the worker's /metrics"
