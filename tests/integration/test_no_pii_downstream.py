"""Planted identifiers appear nowhere downstream of masking, on a real platform (responder on, models off).

A Chinese mobile, an 18-digit resident ID with a valid check digit, a Luhn-valid card and an e-mail are put into
message text, metadata and customers' user ids (API, chat, web chat, feedback) and into poison records produced
straight to the inbound topic.
Then every topic but ``conversations.inbound``, every log file and every file the platform wrote (dialogue state,
registry, ...) and every ClickHouse table are scanned for the raw values.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from typing import Any

import httpx
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from kefu.settings import Settings
from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from streams.producer import BatchProducer, OutRecord, producer_config
from streams.store import StoreClient
from tests.integration.conftest import Platform, read_topic
from tests.planted import found_plants, planted_identifiers, planted_text

pytestmark = pytest.mark.slow

RAW_TOPIC = "conversations.inbound"  # the only place raw text may live (upstream retention applies)


@pytest.fixture
def pii_platform(responder_platform: Platform) -> Platform:
    """The shared platform: what the other modules sent through it is scanned too (it carries no plants)."""
    return responder_platform


def api(platform: Platform, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {platform.status['api_key']}", **kwargs.pop("headers", {})}
    return httpx.post(f"{platform.status['http']}{path}", headers=headers, timeout=90, **kwargs)


def event(run: str, n: int, plants: dict[str, str], **overrides: Any) -> dict[str, Any]:
    return {
        "event_id": f"{run}-{n}",
        "conversation_id": f"{run}-conv",
        "tenant_id": "acme",
        "channel": "web",
        "user_id": f"{run}-user",
        "role": "customer",
        "text": f"{planted_text(plants)} #{n}",  # distinct texts: the same text again would be a near duplicate
        "ts": int(time.time() * 1000) + n,
        "locale": "zh-CN",
        "metadata": {
            "contact": plants["PHONE"],
            "id": plants["ID_CARD"],
            "card": plants["BANK_CARD"],
            f"note {plants['EMAIL']}": plants["EMAIL"],
        },
        **overrides,
    }


def send_everything(platform: Platform, run: str, plants: dict[str, str]) -> None:
    customer_id = f"wx_{plants['PHONE']}"  # upstream systems name customers by their phone number
    first, agents = event(run, 1, plants, user_id=customer_id), event(run, 2, plants, role="agent")
    accepted = api(platform, "/v1/events", json=[first, agents])
    assert accepted.status_code == 202, accepted.text
    webchat = api(
        platform,
        "/v1/channels/webchat/messages",
        json={
            "conversation_id": f"{run}-web",
            "user_id": plants["EMAIL"],
            "text": planted_text(plants),
            "tenant_id": "acme",
        },
    )
    assert webchat.status_code == 202, webchat.text
    rating = {"conversation_id": f"{run}-web", "user_id": plants["PHONE"], "csat": 2, "tenant_id": "acme",
              "comment": planted_text(plants)}  # fmt: skip
    assert api(platform, "/v1/feedback", json=rating).status_code == 202
    chat = api(
        platform,
        "/v1/chat/completions",
        headers={"X-Conversation-Id": f"{run}-chat", "X-Tenant-Id": "acme"},
        json={"model": "kefu", "messages": [{"role": "user", "content": "我要转人工，" + planted_text(plants)}]},
    )
    assert chat.status_code == 200, chat.text
    assert chat.json()["kefu"]["handoff"]["reason"] == "customer_request"
    assert found_plants(chat.content, plants) == []  # the reply the customer sees is downstream too

    codec = AvroCodec(registry_client(platform.status["schema_registry"]), schema("ConversationEvent"))
    valid = codec.encode(event(run, 3, plants, user_id=customer_id))
    poison = [
        json.dumps(event(run, 4, plants), ensure_ascii=False).encode(),  # JSON where Avro is expected
        valid[:-5],  # truncated Avro
        planted_text(plants).encode() + b"\xff",  # text and invalid UTF-8
        codec.encode(event(run, 5, plants, tenant_id="", text=planted_text(plants))),  # fails validation
    ]
    records = [OutRecord(RAW_TOPIC, f"{run}-poison-{i}".encode(), value) for i, value in enumerate(poison)]
    records.append(OutRecord(RAW_TOPIC, f"{run}-conv".encode(), valid))
    BatchProducer(producer_config(platform.status["kafka"], 5)).deliver(records)


def all_topic_bytes(bootstrap: str) -> dict[str, bytes]:
    """Every record's key, value and headers of every topic except the raw inbound one, from the beginning."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"scan-{uuid.uuid4().hex}"})
    topics = [t for t in consumer.list_topics(timeout=10).topics if t != RAW_TOPIC and not t.startswith("__")]
    contents: dict[str, bytes] = {}
    for topic in topics:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        chunks: list[bytes] = []
        while batch := consumer.consume(5000, 1.0):
            for message in batch:
                if message.error() is None:
                    chunks += [message.key() or b"", message.value() or b""]
                    chunks += [value or b"" for _, value in message.headers() or []]
        contents[topic] = b"\n".join(chunks)
    consumer.close()
    return contents


def clickhouse_tables(store: StoreClient) -> dict[str, bytes]:
    """Every row of every table of the ``kefu`` database, as JSON text (in process: one query per table)."""
    names = store.query(
        "SELECT name FROM system.tables WHERE database = 'kefu' AND engine NOT IN ('View', 'MaterializedView')"
    ).column("name")
    return {
        str(name): json.dumps(
            store.query(f"SELECT * FROM `{name}`").to_pylist(), ensure_ascii=False, default=str
        ).encode()
        for name in names.to_pylist()
    }


def wait_for_the_store(store: StoreClient, run: str, expected_events: int, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    sql = "SELECT count() AS n FROM events FINAL WHERE startsWith(conversation_id, {run:String})"
    while time.monotonic() < deadline:
        if store.query(sql, {"run": run}).column("n").to_pylist() >= [expected_events]:
            return
        time.sleep(1)
    raise AssertionError(f"the store did not receive the run's {expected_events} events in {timeout_s}s")


@pytest.mark.timeout(900)  # start-up alone took 3 minutes on a loaded shared machine
def test_planted_identifiers_appear_nowhere_downstream_of_masking(pii_platform: Platform) -> None:
    run = f"pii{uuid.uuid4().hex[:8]}"
    plants = planted_identifiers(random.SystemRandom().randrange(2**32))
    send_everything(pii_platform, run, plants)

    bootstrap = pii_platform.status["kafka"]
    # 2 API events + web chat + chat + 1 valid produced = 5 enriched; 4 poison records = 4 dead letters
    assert len(read_topic(bootstrap, "conversations.enriched", run.encode(), 5)) == 5
    assert len(read_topic(bootstrap, "deadletter", f"{run}-poison".encode(), 4)) == 4
    assert read_topic(bootstrap, "conversations.handoffs", f"{run}-chat".encode(), 1)
    raw = read_topic(bootstrap, RAW_TOPIC, run.encode(), 9)
    assert any(found_plants(m.value() or b"", plants) for m in raw)  # the scan can see plants where they are
    store = StoreClient.connect(Settings(data_dir=pii_platform.data_dir))
    wait_for_the_store(store, run, 5)
    user_ids = "SELECT event_id, user_id FROM events FINAL WHERE startsWith(event_id, {run:String}) ORDER BY event_id"
    stored = {r["event_id"]: r["user_id"] for r in store.query(user_ids, {"run": run}).to_pylist()}
    assert stored[f"{run}-1"].startswith("pii:") and stored[f"{run}-3"] == stored[f"{run}-1"]  # one customer, one id
    assert stored[f"{run}-2"] == f"{run}-user"  # an agent's id is a staff id

    topics = all_topic_bytes(bootstrap)
    assert {"conversations.enriched", "conversations.replies", "conversations.handoffs", "deadletter"} <= set(topics)
    leaks = {topic: found_plants(blob, plants) for topic, blob in topics.items()}
    assert {t: kinds for t, kinds in leaks.items() if kinds} == {}

    tables = clickhouse_tables(store)
    assert {"events", "bot_replies", "handoffs", "dead_letters"} <= set(tables)
    assert run.encode() in tables["events"]  # the run's rows are there, masked
    leaks = {table: found_plants(blob, plants) for table, blob in tables.items()}
    assert {t: kinds for t, kinds in leaks.items() if kinds} == {}

    files = [p for p in pii_platform.data_dir.rglob("*") if p.is_file() and "clickhouse" not in p.parts]
    assert any(p.suffix == ".log" for p in files)
    leaks = {str(p): found_plants(p.read_bytes(), plants) for p in files}
    assert {path: kinds for path, kinds in leaks.items() if kinds} == {}


@pytest.mark.timeout(600)
def test_kefu_sql_cannot_write_or_read_secrets_and_a_tenant_analyst_sees_its_own_rows(pii_platform: Platform) -> None:
    run = f"sql{uuid.uuid4().hex[:8]}"
    posted = api(
        pii_platform,
        "/v1/events",
        json=[
            {**event(run, 1, planted_identifiers(1)), "tenant_id": "globex", "conversation_id": f"{run}-g"},
            {**event(run, 2, planted_identifiers(2)), "tenant_id": "acme", "conversation_id": f"{run}-a"},
        ],
    )
    assert posted.status_code == 202, posted.text
    assert len(read_topic(pii_platform.status["kafka"], "conversations.enriched", run.encode(), 2)) == 2
    wait_for_the_store(StoreClient.connect(Settings(data_dir=pii_platform.data_dir)), run, 2, timeout_s=240)

    for refused in [
        "INSERT INTO events (event_id) VALUES ('x')",
        "ALTER TABLE events DELETE WHERE 1",
        "SELECT * FROM system.users",
        "SELECT name, value FROM system.settings",
        "SELECT * FROM file('/etc/passwd', 'LineAsString')",
        "SELECT * FROM url('http://127.0.0.1:1/x', 'CSV')",
        "SELECT * FROM remote('127.0.0.1', system.users)",
    ]:
        result = pii_platform.kefu("sql", refused)
        assert (result.returncode, "refused" in result.stderr) == (2, True), (refused, result.stderr)

    in_run = f"startsWith(conversation_id, '{run}')"
    operator = pii_platform.kefu("sql", f"SELECT DISTINCT tenant_id FROM events WHERE {in_run}", "--format", "csv")
    scoped = pii_platform.kefu(
        "sql", f"SELECT DISTINCT tenant_id FROM events WHERE {in_run}", "--format", "csv", "--tenant", "globex"
    )
    assert operator.returncode == scoped.returncode == 0, operator.stderr + scoped.stderr
    assert sorted(line.strip('"') for line in operator.stdout.split()[1:]) == ["acme", "globex"]
    assert [line.strip('"') for line in scoped.stdout.split()[1:]] == ["globex"]
    metadata = pii_platform.kefu("sql", "SELECT name FROM system.tables", "--tenant", "globex")
    assert metadata.returncode == 2 and "tenant-scoped" in metadata.stderr

    # the same over HTTP (POST /v1/sql), through the platform's store owner
    headers = {"Authorization": f"Bearer {pii_platform.status['api_key']}"}
    scoped_sql = {"sql": f"SELECT DISTINCT tenant_id FROM events WHERE {in_run}", "tenant": "globex"}
    answer = httpx.post(f"{pii_platform.status['http']}/v1/sql", headers=headers, json=scoped_sql, timeout=60)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["tenant"], answer.json()["rows"]) == ("globex", [{"tenant_id": "globex"}])
    refused = {"sql": "SELECT name FROM system.tables", "tenant": "globex"}
    answer = httpx.post(f"{pii_platform.status['http']}/v1/sql", headers=headers, json=refused, timeout=60)
    assert answer.status_code == 400 and "refused" in answer.json()["error"]
