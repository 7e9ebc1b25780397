"""Every error the API answers carries ``error`` (a sentence); FastAPI's own answers keep ``detail`` too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.kpi_rows import OPERATOR_KEY, TENANT_KEY, kpi_api


@pytest.fixture(scope="module")
def http() -> Iterator[TestClient]:
    with kpi_api() as app, TestClient(app) as client:
        yield client


def test_a_missing_key_says_why_in_error_and_detail(http: TestClient) -> None:
    answer = http.get("/v1/kpis")
    assert answer.status_code == 401
    body = answer.json()
    assert body["error"] == body["detail"] and body["error"]
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_another_tenants_rows_are_refused_with_an_error(http: TestClient) -> None:
    answer = http.get("/v1/kpis", params={"tenant": "globex"}, headers={"X-API-Key": TENANT_KEY})
    assert answer.status_code == 403
    assert "acme" in answer.json()["error"]


def test_a_bad_parameter_names_it_in_error_and_keeps_fastapis_detail(http: TestClient) -> None:
    answer = http.get("/v1/handoffs", params={"hours": 0}, headers={"X-API-Key": OPERATOR_KEY})
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"].startswith("query.hours:")
    assert body["detail"][0]["loc"] == ["query", "hours"]  # FastAPI's own list, as before


def test_kefus_own_errors_are_unchanged(http: TestClient) -> None:
    answer = http.post("/v1/events", content=b"{not json", headers={"X-API-Key": OPERATOR_KEY})
    assert answer.status_code == 400
    assert set(answer.json()) == {"error"}
