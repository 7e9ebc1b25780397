"""GET /v1/kpis, /v1/kpis/csat and /kpi on the real API app, with a chDB stand-in for the store's kpi_hourly."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kefu.settings import Settings
from tests.kpi_rows import NOW_HOUR, OPERATOR_KEY, OTHER_KEY, TENANT_KEY, kpi_api


@pytest.fixture(scope="module")
def http() -> Iterator[TestClient]:
    with kpi_api(Settings(kpi_page_refresh_s=17)) as app, TestClient(app) as client:
        yield client


def get(http: TestClient, path: str, key: str | None = TENANT_KEY, **params: Any) -> Any:
    return http.get(path, params=params, headers={"X-API-Key": key} if key else {})


def test_a_tenant_key_reads_its_own_rows_of_the_last_24_hours_by_default(http: TestClient) -> None:
    response = get(http, "/v1/kpis")

    assert response.status_code == 200
    body = response.json()
    assert body["tenant"] == "acme"
    assert {(r["channel"], r["intent"]) for r in body["rows"]} == {
        ("web", "refund"),
        ("app", "unknown"),
        ("web", "delivery"),
    }
    assert sum(r["customer_messages"] for r in body["rows"]) == 80  # the row 30 hours ago is outside


def test_a_tenant_key_cannot_read_another_tenant(http: TestClient) -> None:
    assert get(http, "/v1/kpis", tenant="globex").status_code == 403
    assert get(http, "/v1/kpis/csat", tenant="globex").status_code == 403
    assert get(http, "/v1/kpis", key=OTHER_KEY).json()["tenant"] == "globex"


def test_an_operator_key_reads_every_tenant_or_one(http: TestClient) -> None:
    every = get(http, "/v1/kpis", key=OPERATOR_KEY).json()
    one = get(http, "/v1/kpis", key=OPERATOR_KEY, tenant="globex").json()

    assert {r["tenant_id"] for r in every["rows"]} == {"acme", "globex"}
    assert every["tenant"] == "*"
    assert [r["customer_messages"] for r in one["rows"]] == [7]


def test_rows_are_json_with_utc_hours_and_null_latency_without_replies(http: TestClient) -> None:
    rows = get(http, "/v1/kpis", channel="web", intent="delivery").json()["rows"]

    assert len(rows) == 1
    assert rows[0]["hour"] == (NOW_HOUR - timedelta(hours=1)).strftime("%Y-%m-%dT%H:00:00Z")
    assert rows[0]["latency_p95_ms"] is None
    assert rows[0]["contained_conversations"] == 9


def test_since_and_until_select_a_half_open_range(http: TestClient) -> None:
    two_hours_ago = int((NOW_HOUR.timestamp() - 7200) * 1000)
    rows = get(http, "/v1/kpis", since=str(two_hours_ago), until=str(two_hours_ago + 3_600_000)).json()["rows"]

    assert sorted(r["intent"] for r in rows) == ["refund", "unknown"]


@pytest.mark.parametrize(
    ("params", "status"),
    [({"since": "yesterday"}, 422), ({"since": "2026-11-21T10:00:00Z", "until": "2026-11-21T09:00:00Z"}, 422)],
)
def test_bad_ranges_are_refused_naming_the_problem(http: TestClient, params: dict[str, str], status: int) -> None:
    response = get(http, "/v1/kpis", **params)

    assert response.status_code == status
    assert "since" in response.json()["detail"]


def test_no_key_is_401(http: TestClient) -> None:
    assert get(http, "/v1/kpis", key=None).status_code == 401


def test_the_csat_distribution_counts_ratings_per_score_and_filters_by_channel(http: TestClient) -> None:
    everything = get(http, "/v1/kpis/csat").json()
    web = get(http, "/v1/kpis/csat", channel="web").json()

    assert everything["csat"] == {"1": 1, "2": 0, "3": 0, "4": 1, "5": 1}
    assert web["csat"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1}


def test_without_a_store_the_kpi_routes_answer_503() -> None:
    with kpi_api(with_store=False) as app, TestClient(app) as client:
        assert get(client, "/v1/kpis").status_code == 503


def test_the_page_is_self_contained_and_refreshes_at_the_configured_period(http: TestClient) -> None:
    response = http.get("/kpi")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert 'data-refresh="17"' in page
    assert "__KPI_" not in page  # every placeholder filled
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "the page must not load from a network"
    assert "function lineChart" in page


def test_api_metrics_label_routes_by_template_and_latency_by_status(http: TestClient) -> None:
    get(http, "/v1/kpis")
    get(http, "/v1/kpis", tenant="globex")
    http.get("/no/such/path/" + "x" * 10)

    text = http.get("/metrics").text

    assert 'kefu_api_request_seconds_bucket{le="0.005",route="/v1/kpis",status="403"}' in text
    assert 'kefu_api_requests_total{route="/v1/kpis",status="200"}' in text
    assert 'route="unmatched"' in text
    assert "/no/such/path" not in text
