"""The real API app: JWT or API key on every route but /health, per-user and per-IP 429s, size limits, tenants."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from kefu.settings import Settings
from serving.api import create_api
from serving.auth import ApiKeys, hash_key
from tests.kpi_rows import KEYS, OPERATOR_KEY, TENANT_KEY, kpi_api

SECRET = "k" * 48


def bearer(tenant: str = "acme", user: str = "alice", exp_in: int = 300, secret: str = SECRET) -> dict[str, str]:
    claims = {"tenant": tenant, "sub": user, "exp": int(time.time()) + exp_in}
    return {"Authorization": f"Bearer {jwt.encode(claims, secret, algorithm='HS256')}"}


def client_for(**settings: Any) -> Iterator[TestClient]:
    with kpi_api(Settings(jwt_secret=SECRET, **settings)) as app, TestClient(app) as http:
        yield http


@pytest.fixture(scope="module")
def http() -> Iterator[TestClient]:
    yield from client_for()


def event(tenant: str) -> dict[str, Any]:
    return {
        "event_id": f"e-{tenant}",
        "conversation_id": "c1",
        "tenant_id": tenant,
        "channel": "web",
        "user_id": "u1",
        "role": "customer",
        "text": "hi",
        "ts": 1_795_248_000_000,
    }


def test_a_jwt_reads_its_own_tenant_and_is_refused_for_another(http: TestClient) -> None:
    own = http.get("/v1/kpis", headers=bearer())
    assert own.status_code == 200
    assert own.json()["tenant"] == "acme"
    assert {r["tenant_id"] for r in own.json()["rows"]} == {"acme"}
    assert http.get("/v1/kpis", params={"tenant": "globex"}, headers=bearer()).status_code == 403
    assert http.get("/v1/kpis/csat", params={"tenant": "globex"}, headers=bearer()).status_code == 403


def test_expired_or_foreign_jwts_and_missing_credentials_get_401_with_the_reason(http: TestClient) -> None:
    expired = http.get("/v1/kpis", headers=bearer(exp_in=-300))
    forged = http.get("/v1/kpis", headers=bearer(secret="x" * 48))
    nothing = http.get("/v1/kpis")
    assert [r.status_code for r in (expired, forged, nothing)] == [401, 401, 401]
    assert "expired" in expired.json()["detail"]
    assert expired.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/kpis"),
        ("GET", "/v1/kpis/csat"),
        ("POST", "/v1/events"),
        ("POST", "/v1/chat/completions"),
        ("POST", "/v1/channels/webchat/messages"),
        ("POST", "/v1/channels/email/acme"),
    ],
)
def test_every_data_route_needs_credentials(http: TestClient, method: str, path: str) -> None:
    assert http.request(method, path, content=b"{}").status_code == 401


def test_health_metrics_and_the_static_pages_need_no_credentials(http: TestClient) -> None:
    assert http.get("/health").status_code == 200
    assert http.get("/metrics").status_code == 200
    assert http.get("/kpi").status_code == 200
    assert http.get("/agent").status_code == 200  # the console's data routes need a key (checked below)
    docs = http.get("/docs")
    assert docs.status_code == 200 and "/docs/assets/swagger-ui-bundle.js" in docs.text and "cdn." not in docs.text
    assert http.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert http.get("/docs/assets/../../secrets").status_code == 404


def test_a_tenant_cannot_post_events_of_another_tenant_by_key_or_jwt(http: TestClient) -> None:
    by_key = http.post("/v1/events", json=[event("globex")], headers={"X-API-Key": TENANT_KEY})
    by_jwt = http.post("/v1/events", json=[event("globex")], headers=bearer())
    assert (by_key.status_code, by_jwt.status_code) == (403, 403)
    assert by_jwt.json()["errors"][0]["error_class"] == "forbidden_tenant"


def test_an_operator_key_must_name_the_tenant_its_events_belong_to(http: TestClient) -> None:
    operator = {"X-API-Key": OPERATOR_KEY}
    webchat = {"conversation_id": "c1", "user_id": "u1", "text": "你好"}
    unnamed = http.post("/v1/channels/webchat/messages", json=webchat, headers=operator)
    assert unnamed.status_code == 422, unnamed.text  # it used to be stored as tenant "*" (any tenant)
    assert "tenant_id '*' is not a tenant" in unnamed.text
    assert http.post("/v1/events", json=[event("*")], headers=operator).status_code == 422


def test_a_web_chat_key_on_a_full_key_route_is_told_which_routes_take_it() -> None:
    public = {"X-API-Key": "pk-acme"}
    app = create_api(
        Settings(), "127.0.0.1:9", "mock://webchat-key", KEYS, webchat_keys=ApiKeys({hash_key("pk-acme"): "acme"})
    )
    with TestClient(app) as http:
        for method, path in [
            ("GET", "/v1/handoffs"),
            ("POST", "/v1/events"),
            ("POST", "/v1/channels/webchat/messages"),
        ]:
            answer = http.request(method, path, headers=public, json={})
            assert answer.status_code == 403, (path, answer.text)  # not 401 "invalid API key": the key is valid
            assert (
                "public web-chat key" in answer.json()["detail"] and "/v1/chat/completions" in answer.json()["detail"]
            )
        assert http.get("/v1/handoffs", headers={"X-API-Key": "nope"}).status_code == 401


def test_a_user_over_the_rate_gets_429_with_retry_after_and_other_users_do_not() -> None:
    for http in client_for(rate_limit_user_per_s=0.01, rate_limit_user_burst=3):
        codes = [http.get("/v1/kpis", headers=bearer(user="alice")).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = http.get("/v1/kpis", headers=bearer(user="alice"))
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 99  # one token every 100 s
        assert http.get("/v1/kpis", headers=bearer(user="bob")).status_code == 200
        assert http.get("/v1/kpis", headers={"X-API-Key": OPERATOR_KEY}).status_code == 200
        metrics = http.get("/metrics").text
        assert 'kefu_api_rate_limited_total{scope="user"}' in metrics
        assert 'kefu_api_requests_total{route="/v1/kpis",status="429"}' in metrics


def test_an_address_over_its_rate_gets_429_even_unauthenticated_and_health_stays_open() -> None:
    for http in client_for(rate_limit_ip_per_s=0.01, rate_limit_ip_burst=5):
        codes = [http.get("/v1/kpis", headers=bearer(user=f"u{i}")).status_code for i in range(5)]
        assert codes == [200] * 5
        guessing = http.get("/v1/kpis", headers={"X-API-Key": "guess"})
        assert guessing.status_code == 429
        assert "Retry-After" in guessing.headers
        assert all(http.get("/health").status_code == 200 for _ in range(20))


def test_bodies_over_the_limit_are_refused_with_413_with_or_without_content_length() -> None:
    for http in client_for(max_request_bytes=2048):
        big = b"[" + b" " * 4096 + b"]"
        declared = http.post("/v1/events", content=big, headers={"X-API-Key": TENANT_KEY})
        chunked = http.post("/v1/events", content=iter([big[:1500], big[1500:]]), headers={"X-API-Key": TENANT_KEY})
        chat = http.post("/v1/chat/completions", content=iter([big]), headers={"X-API-Key": TENANT_KEY})
        assert [r.status_code for r in (declared, chunked, chat)] == [413, 413, 413]
        assert "2048" in chunked.json()["error"]
        small = http.post("/v1/events", content=b"[]", headers={"X-API-Key": TENANT_KEY})
        assert small.status_code == 422  # under the limit the route runs: no events in the request


OPEN_ROUTES = {"/health", "/metrics", "/kpi", "/docs", "/openapi.json", "/v1/channels/wechat"}


def test_every_route_of_the_app_but_the_open_ones_answers_401_without_credentials(http: TestClient) -> None:
    """Walks the app's OpenAPI paths, so an endpoint added later without the principal dependency fails here."""
    paths = http.get("/openapi.json").json()["paths"]
    checked = []
    for path, operations in paths.items():
        if path in OPEN_ROUTES:
            continue
        for method in operations:
            url = path.replace("{tenant_id}", "acme").replace("{", "").replace("}", "")
            checked.append((method, path, http.request(method.upper(), url, content=b"{}").status_code))
    assert len(checked) >= 6
    assert [c for c in checked if c[2] != 401] == []
