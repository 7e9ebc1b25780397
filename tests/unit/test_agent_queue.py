"""Which conversations `GET /v1/handoffs` lists as waiting for an agent, over a real (chDB) store.

Rows are written by the store's own sink; the route runs its SQL on them through the real API app.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kefu.settings import Settings
from serving.api import create_api
from serving.api.kpi_sql import clickhouse_query
from streams.store.sink import ClickHouseSink
from tests.kpi_rows import KEYS, TENANT_KEY
from tests.store.conftest import enriched, fresh_store, handoff

NOW = int(time.time() * 1000)
MINUTE = 60_000
HOLD_MIN = 30


def customer(event_id: str, conversation: str, minutes_ago: float) -> dict[str, Any]:
    return enriched(event_id, conversation, text=f"客户消息 {event_id}", ts=NOW - int(minutes_ago * MINUTE))


def agent(
    event_id: str, conversation: str, minutes_ago: float, *, release: bool = False, agent_id: str = "agent-7"
) -> dict[str, Any]:
    metadata = {"source": "agent_api", **({"action": "release"} if release else {})}
    ts = NOW - int(minutes_ago * MINUTE)
    return enriched(event_id, conversation, role="agent", text="坐席回复", metadata=metadata, ts=ts, user_id=agent_id)


#: conversation -> (its events, minutes since its hand-off)
CONVERSATIONS: dict[str, tuple[list[dict[str, Any]], float]] = {
    "new": ([customer("n1", "new", 5)], 4),  # nobody answered yet
    "answered": ([customer("a1", "answered", 20), agent("a2", "answered", 10)], 19),
    "wrote-again": (  # answered, then the customer wrote twice while the agent holds the conversation
        [
            customer("w1", "wrote-again", 20),
            agent("w2", "wrote-again", 10),
            customer("w3", "wrote-again", 6),
            customer("w4", "wrote-again", 2),
        ],
        19,
    ),
    "released": (
        [customer("r1", "released", 20), agent("r2", "released", 10, release=True), customer("r3", "released", 5)],
        19,
    ),
    "hold-lapsed": (
        [
            customer("h1", "hold-lapsed", 100),
            agent("h2", "hold-lapsed", 90),
            customer("h3", "hold-lapsed", 90 - HOLD_MIN - 5),
        ],
        99,
    ),
    "handed-off-again": (  # released to the bot, which later handed off again
        [
            customer("g1", "handed-off-again", 60),
            agent("g2", "handed-off-again", 50, release=True),
            customer("g3", "handed-off-again", 3),
        ],
        2,
    ),
}


@pytest.fixture(scope="module")
def http() -> Iterator[TestClient]:
    client = fresh_store()
    sink = ClickHouseSink(client)
    for conversation, (events, handoff_minutes_ago) in CONVERSATIONS.items():
        for event in events:
            sink.add("events", event)
        ts = NOW - int(handoff_minutes_ago * MINUTE)
        sink.add("handoffs", handoff(f"h-{conversation}", conversation, priority=3, ts=ts))
    sink.add("handoffs", handoff("h-old", "handed-off-again", priority=3, ts=NOW - 59 * MINUTE))  # the earlier one
    sink.flush()
    settings = Settings(agent_hold_s=HOLD_MIN * 60)
    app = create_api(settings, "127.0.0.1:9", f"mock://queue-{uuid.uuid4()}", KEYS, kpi_query=clickhouse_query(client))
    with TestClient(app) as test_client:
        yield test_client


def test_a_conversation_waits_for_a_first_answer_and_again_when_the_customer_writes_while_held(
    http: TestClient,
) -> None:
    listed = http.get("/v1/handoffs", headers={"X-API-Key": TENANT_KEY})
    assert listed.status_code == 200, listed.text
    waiting = {h["conversation_id"]: h for h in listed.json()["handoffs"]}
    assert sorted(waiting) == ["handed-off-again", "new", "wrote-again"]
    assert listed.json()["mails_email_answers"] is False  # no KEFU_SMTP_HOST here
    assert waiting["new"]["waiting_for"] == "handoff" and waiting["new"]["waiting_since"] == waiting["new"]["ts"]
    assert waiting["handed-off-again"]["event_id"] == "h-handed-off-again"  # the latest hand-off of the conversation
    again = waiting["wrote-again"]
    assert again["waiting_for"] == "customer_reply"
    first_unanswered = next(m for m in again["customer_messages"] if m["event_id"] == "w3")
    assert again["waiting_since"] == first_unanswered["ts"]  # not the hand-off, not the latest message
    # longest waiting first at the same priority: wrote-again (6 min) before new (4 min) before handed-off-again (2)
    assert [h["conversation_id"] for h in listed.json()["handoffs"]] == ["wrote-again", "new", "handed-off-again"]


def test_a_conversation_an_agent_holds_is_assigned_to_them_and_hidden_from_the_others(http: TestClient) -> None:
    listed = http.get("/v1/handoffs", headers={"X-API-Key": TENANT_KEY}).json()["handoffs"]
    assigned = {h["conversation_id"]: h["assigned_to"] for h in listed}
    assert assigned == {"wrote-again": "agent-7", "new": "", "handed-off-again": ""}
    mine = http.get("/v1/handoffs", params={"agent_id": "agent-7"}, headers={"X-API-Key": TENANT_KEY})
    others = http.get("/v1/handoffs", params={"agent_id": "agent-8"}, headers={"X-API-Key": TENANT_KEY})
    assert [h["conversation_id"] for h in mine.json()["handoffs"]] == ["wrote-again", "new", "handed-off-again"]
    assert [h["conversation_id"] for h in others.json()["handoffs"]] == ["new", "handed-off-again"]


def test_another_agents_reply_to_a_held_conversation_is_refused_naming_the_holder(http: TestClient) -> None:
    refused = http.post(
        "/v1/conversations/wrote-again/agent-replies",
        headers={"X-API-Key": TENANT_KEY},
        json={"text": "我来处理", "agent_id": "agent-8"},
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["held_by"] == "agent-7"
    wrong = http.post(
        "/v1/conversations/wrote-again/agent-replies",
        headers={"X-API-Key": TENANT_KEY},
        json={"text": "我来处理", "agent_id": "agent-8", "take_over": "yes"},
    )
    assert wrong.status_code == 422


def test_the_holder_is_the_last_agent_within_the_hold_unless_they_released(http: TestClient) -> None:
    from serving.api.agent_sql import HOLDER_SQL

    def holder(conversation: str) -> list[str]:
        params = {"conversation": conversation, "tenant": "acme", "hold_ms": HOLD_MIN * MINUTE}
        return [row["agent_id"] for row in http.app.state.kpi_query(HOLDER_SQL, params)]

    assert holder("wrote-again") == ["agent-7"]  # answered 10 minutes ago, within the 30-minute hold
    assert holder("released") == []  # gave the conversation back
    assert holder("hold-lapsed") == []  # answered 90 minutes ago
    assert holder("new") == []  # no agent yet
