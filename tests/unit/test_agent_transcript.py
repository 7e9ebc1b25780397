"""`GET /v1/conversations/{id}/transcript`: a conversation as the store holds it, over a real (chDB) store.

Rows are written by the store's own sink, masked as the enricher writes them; the route runs its SQL on them through
the real API app.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kefu.settings import Settings
from serving.api import create_api
from serving.api.kpi_sql import clickhouse_query
from streams.store.sink import ClickHouseSink
from tests.kpi_rows import KEYS, OPERATOR_KEY, OTHER_KEY, TENANT_KEY
from tests.store.conftest import enriched, fresh_store, handoff, reply

NOW = int(time.time() * 1000)
SECOND = 1000


@pytest.fixture(scope="module")
def http() -> Iterator[TestClient]:
    client = fresh_store()
    sink = ClickHouseSink(client)
    at = NOW - 600 * SECOND
    sink.add("events", enriched("c1", "conv", text="耳机坏了，我要退款", intent="return_refund", ts=at))
    sink.add("bot_replies", reply("b1", "c1", "conv", text="请问订单号是多少？", ts=at + 2 * SECOND))
    sink.add("events", enriched("c2", "conv", text="转人工，电话[PHONE_1]", intent="ask_human", ts=at + 60 * SECOND))
    handed = {"reason": "customer_request", "detail": "asked for a human"}
    sink.add("bot_replies", reply("b2", "c2", "conv", text="正在为您转接人工。", handoff=handed, ts=at + 61 * SECOND))
    sink.add("handoffs", handoff("a0", "conv", summary="客户要为坏耳机退款", ts=at + 61 * SECOND))  # same ts as b2
    agent_reply = enriched("a1", "conv", role="agent", user_id="agent-7", text="您好，我来处理。", ts=at + 120 * SECOND)
    sink.add("events", agent_reply)
    sink.add("events", enriched("c3", "conv", text="订单KF2025", intent="return_refund", ts=at + 180 * SECOND))
    sink.add("events", enriched("s1", "conv", role="system", text="", ts=at + 181 * SECOND))
    sink.add("events", enriched("x1", "other-conv", text="别的会话", ts=at))
    sink.add("events", enriched("g1", "globex-conv", tenant_id="globex", text="另一个租户", ts=at))
    sink.add("events", enriched("old", "conv", text="四天前的消息", ts=NOW - 96 * 3600 * SECOND))
    sink.flush()
    query = clickhouse_query(client)
    app = create_api(Settings(), "127.0.0.1:9", f"mock://transcript-{uuid.uuid4()}", KEYS, kpi_query=query)
    with TestClient(app) as test_client:
        yield test_client


def test_the_transcript_has_every_turn_after_the_handoff_in_order_masked(http: TestClient) -> None:
    answer = http.get("/v1/conversations/conv/transcript", headers={"X-API-Key": TENANT_KEY})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    turns = [(m["event_id"], m["role"]) for m in body["messages"]]
    assert turns == [
        ("c1", "customer"),
        ("b1", "bot"),
        ("c2", "customer"),
        ("b2", "bot"),
        ("a0", "handoff"),  # after the bot's hand-off message written at the same millisecond
        ("a1", "agent"),
        ("c3", "customer"),  # written after the hand-off: the agent sees it without a new hand-off
    ]  # the system event (no text) and the 4-day-old message (outside the default 72 h) are left out
    by_id = {m["event_id"]: m for m in body["messages"]}
    assert by_id["c2"]["text"] == "转人工，电话[PHONE_1]"  # as stored: masked
    assert by_id["c1"]["intent"] == "return_refund" and by_id["c1"]["intent_confidence"] == pytest.approx(0.9)
    assert by_id["b2"]["reason"] == "customer_request" and by_id["b1"]["reason"] is None
    assert by_id["a0"]["text"] == "客户要为坏耳机退款" and by_id["a0"]["reason"] == "customer_request"
    assert by_id["a1"]["user_id"] == "agent-7"
    assert body["complete"] is True


def test_the_newest_turns_when_limited_and_older_ones_when_asked_for(http: TestClient) -> None:
    limited = http.get("/v1/conversations/conv/transcript?limit=2", headers={"X-API-Key": TENANT_KEY}).json()
    assert [m["event_id"] for m in limited["messages"]] == ["a1", "c3"] and limited["complete"] is False
    week = http.get("/v1/conversations/conv/transcript?hours=168", headers={"X-API-Key": TENANT_KEY}).json()
    assert week["messages"][0]["event_id"] == "old"


def test_a_tenant_reads_only_its_own_conversations(http: TestClient) -> None:
    assert http.get("/v1/conversations/globex-conv/transcript", headers={"X-API-Key": TENANT_KEY}).status_code == 404
    assert http.get("/v1/conversations/conv/transcript", headers={"X-API-Key": OTHER_KEY}).status_code == 404
    assert http.get("/v1/conversations/globex-conv/transcript", headers={"X-API-Key": OTHER_KEY}).status_code == 200
    assert http.get("/v1/conversations/conv/transcript", headers={"X-API-Key": OPERATOR_KEY}).status_code == 200
    assert http.get("/v1/conversations/conv/transcript").status_code == 401
