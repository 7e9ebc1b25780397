"""Test rows for ``kefu.kpi_hourly`` and ``kefu.feedback`` in the chDB stand-in store, and the API around them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from kefu.settings import Settings
from serving.api import create_api
from serving.api.kpi_sql import KPI_HOURLY_COLUMNS, clickhouse_query
from serving.auth import ApiKeys, hash_key
from tests.store_contract import contract_client, reset

TENANT_KEY, OPERATOR_KEY, OTHER_KEY = "acme-secret", "ops-secret", "globex-secret"
KEYS = ApiKeys({hash_key(TENANT_KEY): "acme", hash_key(OPERATOR_KEY): "*", hash_key(OTHER_KEY): "globex"})
NOW_HOUR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def hourly_row(hours_ago: int, tenant: str, channel: str, intent: str, **counts: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(KPI_HOURLY_COLUMNS, 0)
    row |= {"hour": NOW_HOUR - timedelta(hours=hours_ago), "tenant_id": tenant, "channel": channel, "intent": intent}
    row |= {"latency_p50_ms": None, "latency_p95_ms": None, "latency_p99_ms": None}
    return row | counts


#: Two tenants; acme has two hours with several channels and intents, one row without replies.
ROWS = [
    hourly_row(
        2, "acme", "web", "refund", customer_messages=40, conversations=20, bot_replies=38, handoffs=4,
        contained_conversations=16, resolved_conversations=12, unknown_intent=0, negative_emotion=6,
        csat_count=10, csat_sum=42, latency_p50_ms=800.0, latency_p95_ms=2_000.0, latency_p99_ms=3_100.0,
    ),
    hourly_row(
        2, "acme", "app", "unknown", customer_messages=10, conversations=8, bot_replies=2, handoffs=2,
        contained_conversations=6, resolved_conversations=3, unknown_intent=10, negative_emotion=1,
        csat_count=2, csat_sum=5, latency_p50_ms=400.0, latency_p95_ms=1_000.0, latency_p99_ms=1_500.0,
    ),
    hourly_row(
        1, "acme", "web", "delivery", customer_messages=30, conversations=12, bot_replies=0, handoffs=3,
        contained_conversations=9, resolved_conversations=9, unknown_intent=0, negative_emotion=3,
        csat_count=4, csat_sum=16,
    ),
    hourly_row(
        1, "globex", "wechat", "refund", customer_messages=7, conversations=7, bot_replies=7, handoffs=0,
        contained_conversations=7, resolved_conversations=7, csat_count=1, csat_sum=5,
        latency_p50_ms=100.0, latency_p95_ms=200.0, latency_p99_ms=300.0,
    ),
    hourly_row(30, "acme", "web", "refund", customer_messages=999, conversations=999),  # outside 24 h
]  # fmt: skip
#: (tenant, conversation, channel, csat) ratings one hour ago.
RATINGS = [("acme", "c1", "web", 5), ("acme", "c1", "web", 4), ("acme", "c2", "app", 1), ("globex", "g1", "wechat", 5)]


def load_rows(client: Any) -> None:
    reset(client)
    client.insert("kefu.kpi_hourly", [list(r.values()) for r in ROWS], column_names=list(ROWS[0]))
    when = NOW_HOUR - timedelta(minutes=30)
    feedback = [[uuid.uuid4().hex, conv, tenant, "u", "customer", csat, when] for tenant, conv, _, csat in RATINGS] + [
        [uuid.uuid4().hex, "c1", "acme", "u", "customer", None, when]
    ]
    names = ["event_id", "conversation_id", "tenant_id", "user_id", "source", "csat", "ts"]
    client.insert("kefu.feedback", feedback, column_names=names)
    events = [
        [uuid.uuid4().hex, conv, tenant, channel, "u", "customer", "", when] for tenant, conv, channel, _ in RATINGS
    ]
    names = ["event_id", "conversation_id", "tenant_id", "channel", "user_id", "role", "text", "ts"]
    client.insert("kefu.events", events, column_names=names)


@contextmanager
def kpi_api(settings: Settings | None = None, with_store: bool = True) -> Iterator[FastAPI]:
    """The real API app with its KPI query bound to the chDB stand-in store, filled with ROWS and RATINGS."""
    client = contract_client()
    load_rows(client)
    query = clickhouse_query(client) if with_store else None
    app = create_api(settings or Settings(), "127.0.0.1:9", f"mock://kpi-{uuid.uuid4()}", KEYS, kpi_query=query)
    yield app
