"""``POST /v1/sql`` over the real API and a real (chDB) store: a tenant's analyst reads its own rows only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kefu.settings import Settings
from serving.api import create_api
from serving.api.kpi_sql import clickhouse_query
from streams.store.connection import connect
from streams.store.sink import ClickHouseSink
from tests.kpi_rows import KEYS, OPERATOR_KEY, OTHER_KEY, TENANT_KEY
from tests.store.conftest import MEMORY, enriched, fresh_store

EVENTS_PER_CONVERSATION = "SELECT conversation_id, count() AS n FROM events FINAL GROUP BY conversation_id ORDER BY 1"


@pytest.fixture(scope="module")
def http() -> Iterator[TestClient]:
    client = fresh_store()
    sink = ClickHouseSink(client)
    for n in range(3):
        sink.add("events", enriched(f"a{n}", "acme-1", text=f"退货{n}"))
    sink.add("events", enriched("a9", "acme-2", text="发票"))
    sink.add("events", enriched("g1", "globex-1", tenant_id="globex", text="另一个租户的消息"))
    sink.flush()
    query = clickhouse_query(client, lambda scope: connect(MEMORY, read_only=True, scope=scope))
    settings = Settings(sql_max_rows=3)
    app = create_api(settings, "127.0.0.1:9", f"mock://sql-{uuid.uuid4()}", KEYS, kpi_query=query)
    with TestClient(app) as test_client:
        yield test_client


def sql(http: TestClient, key: str, statement: str, **body: object) -> tuple[int, dict[str, object]]:
    answer = http.post("/v1/sql", headers={"X-API-Key": key}, json={"sql": statement, **body})
    return answer.status_code, answer.json()


def test_a_tenants_key_reads_its_own_rows_in_every_table(http: TestClient) -> None:
    status, body = sql(http, TENANT_KEY, EVENTS_PER_CONVERSATION)
    assert status == 200, body
    assert (body["tenant"], body["columns"], body["truncated"]) == ("acme", ["conversation_id", "n"], False)
    assert body["rows"] == [{"conversation_id": "acme-1", "n": 3}, {"conversation_id": "acme-2", "n": 1}]
    status, body = sql(http, OTHER_KEY, "SELECT text FROM events WHERE conversation_id LIKE {prefix:String}",
                       params={"prefix": "%"})  # fmt: skip
    assert status == 200 and body["rows"] == [{"text": "另一个租户的消息"}]  # and nothing of acme's


def test_an_operator_reads_every_tenant_or_scopes_to_one(http: TestClient) -> None:
    status, body = sql(http, OPERATOR_KEY, "SELECT DISTINCT tenant_id FROM events ORDER BY tenant_id")
    assert (status, body["tenant"], body["rows"]) == (200, "*", [{"tenant_id": "acme"}, {"tenant_id": "globex"}])
    status, body = sql(http, OPERATOR_KEY, "SELECT DISTINCT tenant_id FROM events", tenant="globex")
    assert (status, body["tenant"], body["rows"]) == (200, "globex", [{"tenant_id": "globex"}])


def test_more_rows_than_the_limit_are_cut_and_flagged(http: TestClient) -> None:
    status, body = sql(http, OPERATOR_KEY, "SELECT number, now() AS at FROM numbers(10)")
    assert status == 200 and body["truncated"] is True and len(body["rows"]) == 3  # KEFU_SQL_MAX_ROWS=3
    assert str(body["rows"][0]["at"]).endswith("Z")  # a DateTime as ISO 8601 UTC
    status, body = sql(http, OPERATOR_KEY, "SELECT avg(number) AS mean FROM numbers(0)")  # NaN: no JSON number
    assert (status, body["rows"]) == (200, [{"mean": None}])


@pytest.mark.parametrize(
    ("key", "statement", "status", "error"),
    [
        (TENANT_KEY, "INSERT INTO events (event_id) VALUES ('x')", 400, "refused"),
        (TENANT_KEY, "SELECT name FROM system.tables", 400, "refused"),  # other tenants' metadata
        (OPERATOR_KEY, "SELECT * FROM file('/etc/passwd', 'LineAsString')", 400, "refused"),
        (OPERATOR_KEY, "SELECT no_such_column FROM events", 400, "no_such_column"),
        (TENANT_KEY, "", 422, "sql"),
    ],
)
def test_what_the_guard_or_clickhouse_refuses_is_a_clear_error(
    http: TestClient, key: str, statement: str, status: int, error: str
) -> None:
    answered, body = sql(http, key, statement)
    assert answered == status and error in str(body["error"]), body


def test_another_tenants_rows_and_bad_bodies_are_refused(http: TestClient) -> None:
    assert sql(http, TENANT_KEY, "SELECT 1", tenant="globex")[0] == 403
    assert sql(http, TENANT_KEY, "SELECT 1", params={"x": [1, 2]})[0] == 422
    assert http.post("/v1/sql", headers={"X-API-Key": TENANT_KEY}, content=b"{").status_code == 422
    assert http.post("/v1/sql", json={"sql": "SELECT 1"}).status_code == 401


def test_one_analyst_statement_runs_at_a_time_and_another_is_told_to_retry() -> None:
    """Two analysts at once, over a real server: the second waits for nothing and gets 429 with Retry-After."""
    import threading
    import time

    import httpx

    from tests.browser import served

    client = fresh_store()
    query = clickhouse_query(client, lambda scope: connect(MEMORY, read_only=True, scope=scope))
    app = create_api(Settings(), "127.0.0.1:9", f"mock://sql-busy-{uuid.uuid4()}", KEYS, kpi_query=query)
    headers = {"X-API-Key": OPERATOR_KEY}
    with served(app) as url:
        slow: list[httpx.Response] = []
        worker = threading.Thread(
            target=lambda: slow.append(
                httpx.post(f"{url}/v1/sql", headers=headers, json={"sql": "SELECT sleep(2) AS slept"}, timeout=30)
            )
        )
        worker.start()
        time.sleep(0.7)  # the slow statement is running now
        busy = httpx.post(f"{url}/v1/sql", headers=headers, json={"sql": "SELECT 1 AS one"}, timeout=30)
        worker.join(30)
        after = httpx.post(f"{url}/v1/sql", headers=headers, json={"sql": "SELECT 1 AS one"}, timeout=30)
    assert (busy.status_code, busy.headers.get("retry-after")) == (429, "2"), busy.text
    assert slow[0].status_code == 200 and after.json()["rows"] == [{"one": 1}]
