"""Analyst SQL: an operator reads every tenant; a tenant-scoped analyst reads only its own rows, on every table and
view, through the owner's endpoint too, and cannot lift the filter, read metadata tables, write or reach files."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from clickhouse_connect.driver.client import Client

from streams.store.client import DirectBackend, LoopbackBackend, StoreClient, StoreError
from streams.store.connection import connect
from streams.store.server import QueryServer
from streams.store.sink import ClickHouseSink
from streams.store.sqlguard import QueryRefused
from tests.store.conftest import MEMORY, enriched, feedback, reply


def _two_tenants(store: Client) -> None:
    sink = ClickHouseSink(store)
    sink.add("events", enriched("a1", "c1"))
    sink.add("events", enriched("a2", "c1"))
    sink.add("events", enriched("g1", "c1", tenant_id="globex", text="globex secret"))
    sink.add("bot_replies", reply("ra", "a1", "c1"))
    sink.add("bot_replies", reply("rg", "g1", "c1", tenant_id="globex"))
    sink.add("feedback", feedback("fg", "c1", tenant_id="globex", csat=1))
    sink.flush()


def scoped_store() -> StoreClient:
    return StoreClient(
        DirectBackend(
            connect(MEMORY, read_only=True),
            open_scoped=lambda scope: connect(MEMORY, read_only=True, scope=scope),
        )
    )


@pytest.fixture
def analyst(store: Client) -> Iterator[StoreClient]:
    _two_tenants(store)
    yield scoped_store()


def column(table: object, name: str) -> list[object]:
    return table.column(name).to_pylist()  # type: ignore[attr-defined]


def test_the_operator_reads_every_tenant_and_the_analyst_only_its_own(analyst: StoreClient) -> None:
    everyone = analyst.query("SELECT tenant_id, count() AS n FROM events FINAL GROUP BY tenant_id ORDER BY tenant_id")
    acme = analyst.query("SELECT tenant_id, count() AS n FROM events FINAL GROUP BY tenant_id", tenant="acme")
    assert column(everyone, "tenant_id") == ["acme", "globex"]
    assert (column(acme, "tenant_id"), column(acme, "n")) == (["acme"], [2])


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count() AS n FROM events WHERE tenant_id = 'globex'",
        "SELECT count() AS n FROM kefu.events WHERE text = 'globex secret'",
        "SELECT count() AS n FROM (SELECT * FROM events) WHERE tenant_id = 'globex'",
        "SELECT count() AS n FROM bot_replies WHERE tenant_id = 'globex'",
        "SELECT count() AS n FROM feedback",
        "SELECT count() AS n FROM events AS e JOIN bot_replies AS r ON r.in_reply_to = e.event_id "
        "WHERE r.tenant_id = 'globex'",
        "SELECT count() AS n FROM kpi_hourly WHERE tenant_id = 'globex'",
        "SELECT count() AS n FROM view(SELECT * FROM events WHERE tenant_id = 'globex')",
    ],
)
def test_another_tenants_rows_are_invisible_through_tables_views_subqueries_and_joins(
    analyst: StoreClient, sql: str
) -> None:
    assert column(analyst.query(sql, tenant="acme"), "n") == [0]
    assert column(analyst.query(sql), "n") != [0]  # the operator sees them: the query itself finds rows


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("SELECT * FROM system.tables", "system"),
        ("SELECT * FROM information_schema.tables", "information_schema"),
        ("SELECT * FROM system.users", "system"),
        ("SELECT * FROM merge('kefu', '^events$')", "merge()"),
        ("SELECT * FROM file('/etc/passwd', 'LineAsString')", "file()"),
        ("INSERT INTO events (event_id) VALUES ('x')", "INSERT"),
    ],
)
def test_the_analyst_cannot_read_metadata_lift_the_filter_write_or_reach_files(
    analyst: StoreClient, sql: str, named: str
) -> None:
    with pytest.raises(QueryRefused, match=named):
        analyst.query(sql, tenant="acme")


def test_the_session_itself_refuses_to_lift_the_filter_past_the_guard(analyst: StoreClient) -> None:
    backend = analyst.backend
    with pytest.raises(StoreError, match=r"readonly|READONLY"):
        backend.query(
            "SELECT count() FROM events SETTINGS additional_table_filters = {'kefu.events':'1'}", None, "acme"
        )


@pytest.mark.parametrize("tenant", ["*", "acme' OR 1 --", ""])
def test_a_malformed_tenant_is_refused(analyst: StoreClient, tenant: str) -> None:
    with pytest.raises(QueryRefused, match="not a tenant id"):
        analyst.query("SELECT count() FROM events", tenant=tenant)


def test_the_owner_endpoint_scopes_by_tenant(store: Client) -> None:
    _two_tenants(store)
    server = QueryServer(scoped_store(), "tok", lambda: {}).start()
    try:
        remote = StoreClient(LoopbackBackend(server.url, "tok"))
        scoped = remote.query("SELECT DISTINCT tenant_id FROM events", tenant="globex")
        assert column(scoped, "tenant_id") == ["globex"]
        with pytest.raises(StoreError, match="system"):
            LoopbackBackend(server.url, "tok").query("SELECT * FROM system.tables", None, "globex")
    finally:
        server.stop()
