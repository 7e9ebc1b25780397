"""SQL the KPI routes run against ClickHouse, and the query callable they run it through.

Queries use ClickHouse's ``{name:Type}`` parameters; the callable binds them (clickhouse-connect's
``client.query(sql, parameters=...)`` does), so no request value is ever pasted into SQL text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from kefu.settings import Settings


class KpiQuery(Protocol):
    """Runs one read-only SQL statement with its ``{name:Type}`` parameters; returns the rows as dicts.

    ``tenant`` scopes it to that tenant's rows (``streams.store.tenant_scope``); None reads every tenant.
    """

    def __call__(self, sql: str, parameters: dict[str, Any], tenant: str | None = None) -> list[dict[str, Any]]: ...


#: Columns of the ``kpi_hourly`` view the store provides (one row per hour, tenant, channel and intent).
KPI_HOURLY_COLUMNS = (
    "hour",
    "tenant_id",
    "channel",
    "intent",
    "customer_messages",
    "conversations",
    "bot_replies",
    "handoffs",
    "contained_conversations",
    "resolved_conversations",
    "unknown_intent",
    "negative_emotion",
    "csat_count",
    "csat_sum",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
)
FILTERS = ("tenant_id", "channel", "intent")


def hourly_sql(filters: dict[str, str]) -> str:
    """Rows of ``kefu.kpi_hourly`` between ``{since:Int64}`` and ``{until:Int64}`` (Unix seconds, UTC)."""
    where = ["hour >= toDateTime({since:Int64}, 'UTC')", "hour < toDateTime({until:Int64}, 'UTC')"]
    where += [f"{column} = {{{column}:String}}" for column in FILTERS if column in filters]
    return (
        f"SELECT {', '.join(KPI_HOURLY_COLUMNS)} FROM kefu.kpi_hourly WHERE {' AND '.join(where)} "
        "ORDER BY hour, tenant_id, channel, intent LIMIT {limit:UInt32}"
    )


def csat_sql(filters: dict[str, str]) -> str:
    """Ratings per CSAT score (1-5) in ``kefu.feedback``, by tenant and time; channel through the conversation."""
    where = [
        "csat BETWEEN 1 AND 5",
        "ts >= fromUnixTimestamp64Milli({since_ms:Int64}, 'UTC')",
        "ts < fromUnixTimestamp64Milli({until_ms:Int64}, 'UTC')",
    ]
    if "tenant_id" in filters:
        where.append("tenant_id = {tenant_id:String}")
    if "channel" in filters:
        where.append(
            "conversation_id IN (SELECT conversation_id FROM kefu.events FINAL "
            "WHERE role = 'customer' AND channel = {channel:String})"
        )
    conditions = " AND ".join(where)
    return f"SELECT csat, count() AS ratings FROM kefu.feedback FINAL WHERE {conditions} GROUP BY csat ORDER BY csat"


def json_value(value: Any) -> Any:
    """A row value as JSON: datetimes as ISO 8601 UTC (a naive one is UTC, as chDB returns them)."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def clickhouse_query(client: Any, open_scoped: Callable[[dict[str, str]], Any] | None = None) -> KpiQuery:
    """A KpiQuery over a clickhouse-connect client (``chdb://`` or a server), for tests and tools.

    It reads through the same ``StoreClient`` path as :func:`store_query` (the read-only guard, Arrow results and
    their conversion), so what a test sees is what the API sees on the platform. ``open_scoped(settings)`` opens
    the read-only session of a tenant-scoped query (None: such queries fail).
    """
    from streams.store.client import DirectBackend, StoreClient

    store = StoreClient(DirectBackend(client, open_scoped=open_scoped))

    def run(sql: str, parameters: dict[str, Any], tenant: str | None = None) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = store.query(sql, parameters, tenant=tenant).to_pylist()
        return rows

    return run


def store_query(settings: Settings) -> KpiQuery:
    """The KPI routes' query over the store (``StoreClient``), connected on first use.

    The API may start before the embedded store owner is ready, so the connection is made lazily and retried
    on the next request after a failure.
    """
    from streams.store import StoreClient

    client: StoreClient | None = None

    def query(sql: str, parameters: dict[str, Any], tenant: str | None = None) -> list[dict[str, Any]]:
        nonlocal client
        if client is None:
            client = StoreClient.connect(settings)
        rows: list[dict[str, Any]] = client.query(sql, parameters, tenant=tenant).to_pylist()
        return rows

    return query
