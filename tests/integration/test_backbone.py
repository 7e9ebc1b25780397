"""The event backbone end to end on the real embedded broker, registry, Faust worker and HTTP API."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from streams.producer import BatchProducer, OutRecord, producer_config
from tests.integration.conftest import Platform, read_topic, start_platform, stop_platform

pytestmark = pytest.mark.slow


def event(i: int, run: str, **overrides: Any) -> dict[str, Any]:
    return {
        "event_id": f"{run}-{i}",
        "conversation_id": f"{run}-conv-{i % 50}",
        "tenant_id": "acme",
        "channel": "web",
        "user_id": f"user-{i % 50}",
        "role": "customer",
        "text": f"第{i}条消息：我的快递什么时候到？",
        "ts": 1_795_000_000_000 + i,
        "locale": "zh-CN",
        "metadata": {},
        "attachments": None,
        **overrides,
    }


def enriched_ids(platform: Platform, expected: int, run: str) -> list[str]:
    decoder = AvroCodec(registry_client(platform.status["schema_registry"]), schema("EnrichedEvent"))
    messages = read_topic(platform.status["kafka"], "conversations.enriched", run.encode(), expected)
    return [decoder.decode(m.value())["event_id"] for m in messages]


def dead_letters(platform: Platform, run_marker: bytes) -> list[dict[str, Any]]:
    decoder = AvroCodec(registry_client(platform.status["schema_registry"]), schema("DeadLetter"))
    messages = read_topic(platform.status["kafka"], "deadletter", run_marker, 10**6, 3.0)
    return [decoder.decode(m.value()) for m in messages]


def test_status_reports_the_endpoints_producers_need(platform: Platform) -> None:
    status = platform.status
    assert status["healthy"] is True
    assert status["mode"] == "embedded"
    assert status["kafka"].startswith("127.0.0.1:")
    assert status["schema_registry"].startswith("http://127.0.0.1:")
    assert httpx.get(f"{status['http']}/health").status_code == 200
    assert status["api_key"].startswith("kefu-dev-")


def send_events(platform: Platform, run: str, n: int) -> None:
    """``n`` events of ``run`` into conversations.inbound, delivered."""
    codec = AvroCodec(registry_client(platform.status["schema_registry"]), schema("ConversationEvent"))
    records = [
        OutRecord("conversations.inbound", e["conversation_id"].encode(), codec.encode(e))
        for e in (event(i, run) for i in range(n))
    ]
    BatchProducer(producer_config(platform.status["kafka"], 5)).deliver(records)


def assert_each_once(ids: list[str], n: int) -> None:
    assert len(set(ids)) == n, f"{n - len(set(ids))} events lost"
    assert len(ids) == n, f"{len(ids) - len(set(ids))} events duplicated"


def test_ten_thousand_events_round_trip_with_none_lost_and_none_duplicated(platform: Platform) -> None:
    run = uuid.uuid4().hex[:8]
    send_events(platform, run, 10_000)
    assert_each_once(enriched_ids(platform, 10_000, run), 10_000)


def test_garbage_and_wrong_schema_go_to_deadletter_while_the_agent_carries_on(platform: Platform) -> None:
    run = uuid.uuid4().hex[:8]
    client = registry_client(platform.status["schema_registry"])
    inbound = AvroCodec(client, schema("ConversationEvent"))
    feedback = AvroCodec(client, schema("Feedback"), subject="conversations.feedback-value")
    wrong = feedback.encode(
        {
            "event_id": f"{run}-fb",
            "conversation_id": "c",
            "tenant_id": "acme",
            "reply_id": None,
            "message_id": None,
            "user_id": "u",
            "source": "customer",
            "csat": 5,
            "thumbs": None,
            "resolved": None,
            "corrected_intent": None,
            "comment": None,
            "ts": 1,
        }
    )
    records = [
        OutRecord("conversations.inbound", f"{run}-garbage".encode(), b"\xde\xad\xbe\xef not avro " + run.encode()),
        OutRecord("conversations.inbound", f"{run}-wrong".encode(), wrong),
        OutRecord("conversations.inbound", f"{run}-good".encode(), inbound.encode(event(0, run))),
    ]
    BatchProducer(producer_config(platform.status["kafka"], 5)).deliver(records)

    assert enriched_ids(platform, 1, run) == [f"{run}-0"]  # the good record after the bad ones still flows
    letters = {d["original_key"]: d for d in dead_letters(platform, run.encode())}
    garbage, wrong_schema = letters[f"{run}-garbage".encode()], letters[f"{run}-wrong".encode()]
    assert garbage["error_class"] == "undecodable"
    assert "wire format" in garbage["reason"]
    assert garbage["original_value"] is None  # identified by digest, replayed from its source position
    assert garbage["original_sha256"] == hashlib.sha256(records[0].value or b"").hexdigest()
    assert garbage["source_topic"] == "conversations.inbound" and garbage["source_offset"] >= 0
    assert wrong_schema["error_class"] == "wrong_schema"
    assert "kefu.v1.Feedback" in wrong_schema["reason"]


def test_upstream_confluent_producer_is_decoded_by_kefu_tail(platform: Platform) -> None:
    run = uuid.uuid4().hex[:8]
    registry = SchemaRegistryClient({"url": platform.status["schema_registry"]})
    serializer = AvroSerializer(registry, schema("ConversationEvent").text)
    producer = Producer({"bootstrap.servers": platform.status["kafka"]})
    context = SerializationContext("conversations.inbound", MessageField.VALUE)
    for i in range(3):
        producer.produce("conversations.inbound", key=f"{run}-conv".encode(), value=serializer(event(i, run), context))
    assert producer.flush(10) == 0

    tail = platform.kefu("tail", "conversations.inbound", "--from-beginning", "--timeout", "5")
    mine = [json.loads(line) for line in tail.stdout.splitlines() if run in line]
    assert [m["event_id"] for m in mine] == [f"{run}-0", f"{run}-1", f"{run}-2"]
    assert mine[0]["text"] == event(0, run)["text"]

    # ...and any Kafka consumer with the stock deserializer reads what Kefu wrote downstream.
    deserializer = AvroDeserializer(registry)
    enriched = read_topic(platform.status["kafka"], "conversations.enriched", run.encode(), 3)
    decoded = [deserializer(m.value(), SerializationContext(m.topic(), MessageField.VALUE)) for m in enriched]
    assert {d["event_id"] for d in decoded} >= {f"{run}-0", f"{run}-1", f"{run}-2"}


def test_kefu_produce_validates_json_lines_and_names_the_field(platform: Platform) -> None:
    run = uuid.uuid4().hex[:8]
    good = "\n".join(json.dumps(event(i, run)) for i in range(3))
    produced = platform.kefu("produce", "--topic", "conversations.inbound", stdin=good)
    assert produced.returncode == 0, produced.stderr
    assert json.loads(produced.stdout)["produced"] == 3

    bad = json.dumps({**event(9, run), "channel": "fax"})
    rejected = platform.kefu("produce", "--topic", "conversations.inbound", stdin=good + "\n" + bad)
    assert rejected.returncode == 2
    assert "line 4: channel: 'fax' is not one of" in rejected.stderr
    assert sorted(enriched_ids(platform, 3, run)) == [f"{run}-0", f"{run}-1", f"{run}-2"]


def test_http_ingest_accepts_valid_batches_and_names_invalid_fields(platform: Platform) -> None:
    run = uuid.uuid4().hex[:8]
    url, key = platform.status["http"], platform.status["api_key"]
    headers = {"Authorization": f"Bearer {key}"}
    accepted = httpx.post(f"{url}/v1/events", json=[event(i, run) for i in range(2)], headers=headers)
    assert accepted.status_code == 202
    assert [r["event_id"] for r in accepted.json()["results"]] == [f"{run}-0", f"{run}-1"]

    invalid = [event(2, run), {**event(3, run), "attachments": [{"url": "x"}]}]
    refused = httpx.post(f"{url}/v1/events", json=invalid, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["path"] == "[1].attachments[0].mime_type"

    assert httpx.post(f"{url}/v1/events", json=[event(4, run)]).status_code == 401
    assert httpx.post(f"{url}/v1/events", content=b"{not json", headers=headers).status_code == 400
    assert sorted(enriched_ids(platform, 2, run)) == [f"{run}-0", f"{run}-1"]


def test_a_second_instance_with_its_own_data_dir_does_not_collide(platform: Platform, tmp_path: Any) -> None:
    same_dir = subprocess.run(
        [sys.executable, "-m", "kefu", "up"], env=platform.env, capture_output=True, text=True, timeout=60, check=False
    )
    assert same_dir.returncode == 1
    assert "another `kefu up` is running" in same_dir.stderr
    assert platform.kefu("status", "--json").returncode == 0, "the refused instance must leave the running one alone"

    other = start_platform(tmp_path / "other")
    try:
        assert other.status["kafka"] != platform.status["kafka"]
        assert other.status["http"] != platform.status["http"]
        pids = list(other.status["processes"].values())
    finally:
        assert stop_platform(other) == 0
    alive = subprocess.run(
        ["ps", "-o", "pid=", "-p", ",".join(map(str, pids))], capture_output=True, text=True, check=False
    )
    assert alive.stdout.strip() == "", f"processes left behind: {alive.stdout}"
    assert not (tmp_path / "other" / "state.json").exists()


def test_two_workers_share_the_partitions_and_lose_and_duplicate_nothing(tmp_path: Any) -> None:
    two = start_platform(tmp_path / "two", KEFU_WORKERS="2")  # one per core: the throughput set-up
    try:
        assert {"worker-0", "worker-1"} <= set(two.status["processes"]), two.status["processes"]
        run = uuid.uuid4().hex[:8]
        send_events(two, run, 3_000)
        ids = enriched_ids(two, 3_000, run)
        worker_metrics = [url for url in two.status["metrics"] if "/metrics" in url][1:3]  # after the API's
        consumed = [_inbound_consumed(httpx.get(url, timeout=10).text) for url in worker_metrics]
    finally:
        assert stop_platform(two) == 0
    assert_each_once(ids, 3_000)
    assert all(n > 0 for n in consumed) and sum(consumed) >= 3_000, consumed  # both workers took a share


def _inbound_consumed(exposition: str) -> float:
    """``kefu_worker_events_consumed_total`` of the inbound topic, from a worker's Prometheus exposition."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in exposition.splitlines()
        if line.startswith("kefu_worker_events_consumed_total{") and 'topic="conversations.inbound"' in line
    )
