"""KPI definitions on hand-made conversations, the rollup, analyst access through the owner's endpoint, export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from clickhouse_connect.driver.client import Client

from streams.store.client import DirectBackend, LoopbackBackend, StoreClient, StoreError
from streams.store.connection import READ_ONLY, connect
from streams.store.export import export_table
from streams.store.rollup import refresh_rollup
from streams.store.server import QueryServer
from streams.store.sink import ClickHouseSink
from streams.store.sqlguard import QueryRefused
from tests.store.conftest import MEMORY, T0, enriched, feedback, handoff, reply

KPI_COLUMNS = [
    "hour", "tenant_id", "channel", "intent", "customer_messages", "conversations", "bot_replies", "handoffs",
    "contained_conversations", "resolved_conversations", "unknown_intent", "negative_emotion", "csat_count",
    "csat_sum", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms",
]  # fmt: skip
ANGRY = {"polarity": "neutral", "score": 0.0, "emotion": "angry", "emotion_confidence": 0.9}


def _conversations(store: Client) -> None:
    """c1: two messages, two replies, no handoff, resolved, CSAT 4 (contained, resolved).
    c2: one message, a reply, then a handoff (not contained), CSAT 2, angry.
    c3: a message of unknown intent, no reply. c4: app channel, a reply to a message it cannot find."""
    sink = ClickHouseSink(store)
    for record in [
        enriched("m1", "c1"),
        enriched("m2", "c1", ts=T0 + 60_000),
        enriched("m3", "c2", sentiment=ANGRY),
        enriched("m4", "c3", intent="unknown"),
        enriched("m5", "c4", channel="app", intent=None),
    ]:
        sink.add("events", record)
    sink.add("events", enriched("b1", "c1", role="bot"))  # bot-authored events are not customer messages
    for record in [
        reply("r1", "m1", "c1", latency_ms=100),
        reply("r2", "m2", "c1", latency_ms=300),
        reply("r3", "m3", "c2", latency_ms=1000),
        reply("r4", "missing", "c4", channel="app", latency_ms=50),
    ]:
        sink.add("bot_replies", record)
    sink.add("handoffs", handoff("h1", "c2"))
    sink.add("feedback", feedback("f1", "c1", csat=4, resolved=True))
    sink.add("feedback", feedback("f2", "c2", csat=2, resolved=False))
    sink.flush()


def _kpis(store: Client, source: str) -> dict[tuple[str, str], dict[str, object]]:
    """The rows of the hour of T0, by (channel, intent)."""
    table = store.query_arrow(f"SELECT * FROM {source} WHERE hour = toStartOfHour(fromUnixTimestamp64Milli({T0}))")
    return {(r["channel"], r["intent"]): r for r in table.to_pylist()}


def _all_kpis(store: Client, source: str) -> list[dict[str, object]]:
    return store.query_arrow(f"SELECT * FROM {source} ORDER BY hour, channel, intent").to_pylist()


def test_kpi_hourly_has_the_contract_columns(store: Client) -> None:
    names = [name for (name, *_) in store.query("DESCRIBE TABLE kpi_hourly").result_rows]
    assert names == KPI_COLUMNS


def test_kpi_definitions_on_known_conversations(store: Client) -> None:
    _conversations(store)
    _conversations(store)  # delivered twice: nothing may double
    kpis = _kpis(store, "kpi_hourly")
    web = kpis[("web", "where_is_my_order")]
    assert web["customer_messages"] == 3 and web["conversations"] == 2
    assert web["bot_replies"] == 3 and web["handoffs"] == 1
    assert web["contained_conversations"] == 1 and web["resolved_conversations"] == 1
    assert web["negative_emotion"] == 1 and web["unknown_intent"] == 0
    assert (web["csat_count"], web["csat_sum"]) == (2, 6)
    assert web["latency_p50_ms"] == 300.0
    assert web["latency_p95_ms"] == 1000.0  # quantileExact: the element at floor(0.95 * 3), as the online agent
    unknown = kpis[("web", "unknown")]
    assert (unknown["customer_messages"], unknown["unknown_intent"], unknown["contained_conversations"]) == (1, 1, 0)
    assert unknown["latency_p50_ms"] is None
    app = kpis[("app", "")]
    assert (app["customer_messages"], app["bot_replies"], app["contained_conversations"]) == (1, 1, 1)
    # DateTime comes out of ClickHouse's Arrow format as epoch seconds (DateTime64 as a timestamp)
    assert app["hour"] == int(dt.datetime(2026, 11, 21, tzinfo=dt.UTC).timestamp()) == T0 // 1000


def test_the_rollup_holds_what_the_view_computes_and_a_refresh_replaces_stale_groups(store: Client) -> None:
    _conversations(store)
    refresh_rollup(store, T0, T0 + 1)
    rollup = "(SELECT * EXCEPT refreshed_at FROM kpi_hourly_rollup FINAL)"
    assert _all_kpis(store, rollup) == _all_kpis(store, "kpi_hourly")
    sink = ClickHouseSink(store)  # the message r4 answers arrives late, in the hour before
    sink.add("events", enriched("missing", "c4", channel="app", intent="refund", ts=T0 - 1000))
    sink.flush()
    refresh_rollup(store, T0 - 1000, T0 + 1)
    assert _all_kpis(store, rollup) == _all_kpis(store, "kpi_hourly")
    assert _kpis(store, rollup)[("app", "")]["bot_replies"] == 0  # r4 left the group of intent ""
    assert _kpis(store, rollup)[("app", "refund")]["bot_replies"] == 1


@pytest.fixture
def owner(store: Client) -> QueryServer:
    reader = connect(MEMORY, read_only=True)
    server = QueryServer(StoreClient(DirectBackend(reader)), "s3cret", lambda: {"rows": {}}).start()
    yield server  # type: ignore[misc]
    server.stop()


def test_other_processes_query_through_the_owner_with_the_token(store: Client, owner: QueryServer) -> None:
    _conversations(store)
    remote = StoreClient(LoopbackBackend(owner.url, "s3cret"))
    table = remote.query("SELECT count() AS n FROM events FINAL WHERE tenant_id = {t:String}", {"t": "acme"})
    assert table.column("n").to_pylist() == [6]
    with pytest.raises(QueryRefused):
        remote.query("DROP TABLE events")
    wrong = httpx.post(f"{owner.url}/query", json={"sql": "SELECT 1"}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    unguarded = httpx.post(  # past the client's guard: the owner guards too
        f"{owner.url}/query",
        json={"sql": "SELECT * FROM file('/etc/passwd')"},
        headers={"Authorization": "Bearer s3cret"},
    )
    assert unguarded.status_code == 400 and "file()" in unguarded.json()["error"]
    with pytest.raises(StoreError, match=r"UNKNOWN_TABLE|Unknown table"):
        remote.query("SELECT * FROM no_such_table")


def test_the_read_only_session_refuses_writes_even_past_the_guard(store: Client) -> None:
    reader = DirectBackend(connect(MEMORY, read_only=True), READ_ONLY)
    with pytest.raises(StoreError, match="readonly"):
        reader.query("INSERT INTO events (event_id) VALUES ('x')", None)
    with pytest.raises(StoreError, match="readonly"):
        reader.query("SELECT * FROM file('/etc/passwd', 'LineAsString')", None)


def test_export_writes_parquet_that_reads_back(store: Client, tmp_path: Path) -> None:
    _conversations(store)
    local = StoreClient(DirectBackend(connect(MEMORY, read_only=True)))
    out = tmp_path / "events.parquet"
    rows = export_table(local, "events", T0 - 40 * 86_400_000, T0 + 86_400_000, out)
    table = pq.read_table(out)
    assert rows == table.num_rows == 6
    assert sorted(table.column("event_id").to_pylist()) == ["b1", "m1", "m2", "m3", "m4", "m5"]
    assert export_table(local, "events", T0 + 86_400_000, T0 + 2 * 86_400_000, tmp_path / "empty.parquet") == 0
    assert pq.read_table(tmp_path / "empty.parquet").num_rows == 0


def test_the_refresher_recomputes_what_was_written_since_its_last_run_with_the_lookback(store: Client) -> None:
    from streams.store.rollup import RollupRefresher

    refresher = RollupRefresher(store, interval_s=3600, lookback_ms=3_600_000)
    assert refresher.take() is None
    refresher.mark(T0 + 10, T0 + 20)
    refresher.mark(T0, T0 + 5)
    assert refresher.take() == (T0 - 3_600_000, T0 + 21)
    assert refresher.take() is None
    _conversations(store)
    refresher.mark(T0, T0 + 3000)
    refresher.refresh_once()
    assert refresher.refreshes == 1
    assert _count_rollup(store) == len(_all_kpis(store, "kpi_hourly"))


def _count_rollup(store: Client) -> int:
    return int(store.query("SELECT count() FROM kpi_hourly_rollup FINAL").result_rows[0][0])
