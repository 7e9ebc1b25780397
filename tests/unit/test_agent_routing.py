"""Fresh hand-offs routed to present agents, the least loaded first: the pure rule, then `GET /v1/handoffs` over a
real (chDB) store through the real API app."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kefu.settings import Settings
from serving.api import create_api
from serving.api.agent_routing import AgentPresence, route
from serving.api.kpi_sql import clickhouse_query
from streams.store.sink import ClickHouseSink
from tests.kpi_rows import KEYS, TENANT_KEY
from tests.store.conftest import enriched, fresh_store, handoff

NOW = int(time.time() * 1000)
MINUTE = 60_000
FRESH = [f"fresh-{n}" for n in range(6)]


def test_hand_offs_go_to_the_least_loaded_present_agent_counting_those_routed_before() -> None:
    routed = route(FRESH, ["ann", "bob", "cai"], {"ann": 3, "bob": 1})
    assert routed == route(FRESH, ["ann", "bob", "cai"], {"ann": 3, "bob": 1})  # every poll routes alike
    load = {"ann": 3, "bob": 1, "cai": 0}
    for conversation in FRESH:  # each went to an agent with the lowest load at its turn
        assert load[routed[conversation]] == min(load.values())
        load[routed[conversation]] += 1
    assert sorted(load.values()) == [3, 3, 4]  # six spread over the idle agents until the loads met
    assert route(FRESH, [], {"ann": 0}) == {}  # nobody present: nothing routed (everyone sees the queue)


def test_presence_lasts_the_window_per_tenant_scope() -> None:
    presence = AgentPresence(window_s=30.0)
    presence.seen("acme", "ann", now=100.0)
    presence.seen("acme", "bob", now=120.0)
    presence.seen("globex", "cai", now=120.0)
    assert presence.present("acme", now=125.0) == ["ann", "bob"]
    assert presence.present("acme", now=135.0) == ["bob"]  # ann's console stopped polling
    assert presence.present("globex", now=135.0) == ["cai"]


def agent_message(event_id: str, conversation: str, agent_id: str) -> dict[str, Any]:
    metadata = {"source": "agent_api"}
    return enriched(event_id, conversation, role="agent", text="坐席回复", metadata=metadata, ts=NOW - MINUTE,
                    user_id=agent_id)  # fmt: skip


@pytest.fixture
def http() -> Iterator[TestClient]:
    """Six fresh hand-offs; ann already holds two conversations (answered, the customers quiet since)."""
    client = fresh_store()
    sink = ClickHouseSink(client)
    for n, conversation in enumerate(FRESH):
        sink.add("events", enriched(f"m{n}", conversation, text="转人工", ts=NOW - 10 * MINUTE))
        sink.add("handoffs", handoff(f"h{n}", conversation, priority=3, ts=NOW - (10 - n) * MINUTE))
    for n, held in enumerate(("held-1", "held-2")):
        sink.add("events", enriched(f"c{n}", held, text="退款", ts=NOW - 20 * MINUTE))
        sink.add("handoffs", handoff(f"hh{n}", held, priority=3, ts=NOW - 19 * MINUTE))
        sink.add("events", agent_message(f"a{n}", held, "ann"))
    sink.flush()
    settings = Settings(agent_presence_s=2.0)
    query = clickhouse_query(client)
    app = create_api(settings, "127.0.0.1:9", f"mock://routing-{uuid.uuid4()}", KEYS, kpi_query=query)
    with TestClient(app) as test_client:
        yield test_client


def queue(http: TestClient, agent_id: str | None = None) -> list[dict[str, Any]]:
    params = {"agent_id": agent_id} if agent_id else {}
    listed = http.get("/v1/handoffs", headers={"X-API-Key": TENANT_KEY}, params=params)
    assert listed.status_code == 200, listed.text
    handoffs: list[dict[str, Any]] = listed.json()["handoffs"]
    return handoffs


def test_present_agents_split_the_fresh_hand_offs_by_load(http: TestClient) -> None:
    alone = {h["conversation_id"] for h in queue(http, "ann")}
    assert alone == set(FRESH)  # the only agent present gets every fresh hand-off
    bob = {h["conversation_id"] for h in queue(http, "bob")}
    ann = {h["conversation_id"] for h in queue(http, "ann")}
    assert ann.isdisjoint(bob) and ann | bob == set(FRESH)  # each fresh hand-off is in exactly one queue
    assert (len(ann), len(bob)) == (2, 4)  # ann holds two already: bob takes fresh ones until the loads meet
    everything = queue(http)  # no agent: the whole queue, each fresh hand-off naming whom it is routed to
    assert {h["conversation_id"]: h["routed_to"] for h in everything} == {
        **dict.fromkeys(sorted(ann), "ann"),
        **dict.fromkeys(sorted(bob), "bob"),
    }


def test_an_agent_who_left_gets_nothing_routed(http: TestClient) -> None:
    queue(http, "ann")
    queue(http, "bob")
    time.sleep(2.5)  # bob closed the console; ann's keeps polling
    assert {h["conversation_id"] for h in queue(http, "ann")} == set(FRESH)
    assert all(h["routed_to"] == "ann" for h in queue(http))
