"""Poison records produced straight to conversations.inbound, interleaved with good ones.

Each poison record becomes a dead letter with its reason (and the worker's dead-letter counter moves); every good
record around them (a system event without text among them) is still enriched and stored.
"""

from __future__ import annotations

import copy
import io
import json
import struct
import uuid
from typing import Any

import fastavro
import httpx
import pytest
from confluent_kafka.schema_registry import Schema

from schemas.catalog import schema
from schemas.wire import AvroCodec
from tests.integration.conftest import Platform, read_topic
from tests.integration.faults.support import InboundProducer, conversation_event, metric_total, wait_for_stored

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # start-up alone takes minutes on a loaded machine
GOOD = 60
NESTING = 60


def _nested_metadata_schema(depth: int) -> dict[str, Any]:
    """ConversationEvent as a producer with another idea of metadata writes it: maps nested ``depth`` deep."""
    writer = copy.deepcopy(schema("ConversationEvent").json)
    nested: Any = "string"
    for _ in range(depth):
        nested = {"type": "map", "values": nested}
    for field in writer["fields"]:
        if field["name"] == "metadata":
            field["type"], field["default"] = nested, {}
    return writer


def _nested_value(depth: int) -> Any:
    value: Any = "leaf"
    for level in range(depth):
        value = {f"k{level}": value}
    return value


def _framed(schema_id: int, writer: dict[str, Any], datum: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    out.write(struct.pack(">bI", 0, schema_id))
    fastavro.schemaless_writer(out, fastavro.parse_schema(writer), datum)
    return out.getvalue()


def _poison(producer: InboundProducer, tenant: str) -> dict[str, bytes]:
    """Each kind of poison record, encoded, by the error class it must be dead-lettered with."""
    codec = producer.codec
    event = conversation_event(tenant, 10_000)
    oversized = {**event, "event_id": f"{tenant}-big", "text": "退" * (10 * 1024 * 1024 // 3)}  # ~10 MB of UTF-8
    blank = {**event, "event_id": f"{tenant}-blank", "text": " \u3000\n"}  # a customer message with nothing in it
    marked = codec.encode({**event, "event_id": f"{tenant}-utf8", "text": "BADBYTES"})
    invalid_utf8 = marked.replace(b"BADBYTES", b"\xff\xfe\xfd\xfc\xc3\x28\xa0\xa1")
    reply = AvroCodec(producer.registry, schema("BotReply"))
    wrong_schema = reply.encode(
        {
            "event_id": f"{tenant}-wrong", "in_reply_to": "x", "conversation_id": "c", "tenant_id": tenant,
            "channel": "web", "text": "a reply on the inbound topic", "citations": [], "confidence": 1.0,
            "latency_ms": 1, "model_profile": "fast", "handoff": None, "variant": None, "ts": 0,
        }
    )  # fmt: skip
    nested_writer = _nested_metadata_schema(NESTING)
    nested_id = producer.registry.register_schema(f"{tenant}-nested-value", Schema(json.dumps(nested_writer), "AVRO"))
    nested = _framed(
        nested_id,
        nested_writer,
        {**event, "event_id": f"{tenant}-nested", "metadata": {"deep": _nested_value(NESTING - 1)}},
    )
    return {
        "undecodable": b"\xde\xad\xbe\xef garbage " + tenant.encode(),
        "unknown_schema": struct.pack(">bI", 0, 987_654_321) + b"\x02\x04\x06",
        "wrong_schema": wrong_schema,
        "oversized": codec.encode(oversized),
        "empty_text": codec.encode(blank),
        "invalid_utf8": invalid_utf8,
        "wrong_schema:nested": nested,
    }


def test_poison_records_become_dead_letters_with_reasons_while_good_records_land(platform: Platform) -> None:
    tenant = f"poison-{uuid.uuid4().hex[:8]}"
    worker_metrics = platform.status["metrics"][1]
    before = {c: metric_total(worker_metrics, "kefu_worker_dead_letters_total", error_class=c) for c in _CLASSES}
    producer = InboundProducer(platform)
    poison = _poison(producer, tenant)
    good = [conversation_event(tenant, i) for i in range(GOOD - 1)]
    good.insert(GOOD // 2, {**conversation_event(tenant, GOOD), "role": "system", "text": ""})  # may be empty
    per_gap = GOOD // (len(poison) + 1)
    for n, (kind, value) in enumerate(poison.items()):
        for event in good[n * per_gap : (n + 1) * per_gap]:
            producer.send(event)
        producer.send_raw(value, f"{tenant}:{kind}".encode())
    for event in good[len(poison) * per_gap :]:
        producer.send(event)
    assert producer.flush() == 0, "the broker refused a record"

    messages = read_topic(platform.status["kafka"], "deadletter", tenant.encode(), len(poison), timeout_s=60)
    codec = AvroCodec(producer.registry, schema("DeadLetter"))
    letters = {m.key().decode().split(":", 1)[1]: codec.decode(m.value()) for m in messages}
    assert sorted(letters) == sorted(poison), f"dead letters for {sorted(letters)}"
    for kind, letter in letters.items():
        assert letter["error_class"] == kind.split(":")[0], (kind, letter["reason"])
        assert letter["reason"] and letter["source_topic"] == "conversations.inbound"
        assert (letter["source_partition"], letter["source_offset"]) == producer.positions[f"{tenant}:{kind}".encode()]
        assert letter["original_size"] == len(poison[kind])
    assert "10" in letters["oversized"]["reason"] or "limit" in letters["oversized"]["reason"]
    assert "987654321" in letters["unknown_schema"]["reason"]
    assert letters["empty_text"]["reason"].startswith("text is empty")

    after = {c: metric_total(worker_metrics, "kefu_worker_dead_letters_total", error_class=c) for c in _CLASSES}
    expected = {"undecodable": 1, "unknown_schema": 1, "wrong_schema": 2, "oversized": 1, "invalid_utf8": 1}
    expected["empty_text"] = 1
    assert {c: after[c] - before[c] for c in _CLASSES} == expected

    seen = wait_for_stored(platform, tenant, GOOD, timeout_s=60)
    assert seen == (GOOD, 0), f"(good events stored, stored twice) = {seen}; expected ({GOOD}, 0)"


def test_deeply_nested_metadata_over_http_is_refused_with_a_reason_not_a_server_error(platform: Platform) -> None:
    event = conversation_event(f"nest-{uuid.uuid4().hex[:8]}", 0)
    nested = '{"k":' * 5000 + '"leaf"' + "}" * 5000  # deeper than any JSON parser should follow
    body = json.dumps([{**event, "metadata": "NESTED"}]).replace('"NESTED"', nested)
    response = httpx.post(
        f"{platform.status['http']}/v1/events",
        headers={"Authorization": f"Bearer {platform.status['api_key']}", "Content-Type": "application/json"},
        content=body,
        timeout=30,
    )
    assert response.status_code in (400, 422), response.text
    assert "error" in response.json()


_CLASSES = ("undecodable", "unknown_schema", "wrong_schema", "oversized", "invalid_utf8", "empty_text")
