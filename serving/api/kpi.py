"""KPI routes: the built-in page ``GET /kpi`` and its data, ``GET /v1/kpis`` and ``GET /v1/kpis/csat``.

The data comes from the store's ``kpi_hourly`` view through the query callable in ``app.state.kpi_query``
(see :func:`serving.api.create_api`). An API key bound to one tenant sees that tenant only.
"""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from kefu.settings import Settings
from serving.api.deps import TenantDependency
from serving.api.kpi_sql import KpiQuery, csat_sql, hourly_sql, json_value
from serving.api.pages import bundled_page

log = logging.getLogger(__name__)

MAX_RANGE = timedelta(days=93)
MAX_ROWS = 100_000
DEFAULT_RANGE = timedelta(hours=24)


@cache
def page_html(refresh_s: int) -> str:
    """The self-contained page: dashboards/kpi_page/index.html with its CSS and JS inlined (no network)."""
    return bundled_page("dashboards", "kpi_page", "kpi").replace("__KPI_REFRESH_S__", str(refresh_s))


def parse_instant(value: str | None, name: str) -> datetime | None:
    """ISO 8601 (``2026-11-21T08:00:00Z``; naive = UTC) or Unix milliseconds; 422 naming the parameter otherwise."""
    if value is None or value == "":
        return None
    try:
        if value.lstrip("-").isdigit():
            return datetime.fromtimestamp(int(value) / 1000, UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise HTTPException(422, f"{name} must be ISO 8601 or Unix milliseconds, not {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def time_range(since: str | None, until: str | None) -> tuple[datetime, datetime]:
    end = parse_instant(until, "until")
    if end is None:  # the current hour included
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = parse_instant(since, "since") or end - DEFAULT_RANGE
    if start >= end:
        raise HTTPException(422, "since must be before until")
    if end - start > MAX_RANGE:
        raise HTTPException(422, f"at most {MAX_RANGE.days} days per request")
    return start, end


def scoped_tenant(key_tenant: str, requested: str | None) -> str | None:
    """The tenant to filter on: a tenant's key sees only its own; an operator key ('*') any, or all."""
    if key_tenant == "*":
        return requested or None
    if requested and requested != key_tenant:
        raise HTTPException(403, f"this API key may read tenant {key_tenant!r} only")
    return key_tenant


def query_of(request: Request) -> KpiQuery:
    query: KpiQuery | None = request.app.state.kpi_query
    if query is None:
        raise HTTPException(503, "KPI store is not configured on this API process")
    return query


async def run_query(query: KpiQuery, sql: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
    try:  # on a thread: a ClickHouse query must not stall the event loop that serves ingest
        return await asyncio.get_running_loop().run_in_executor(None, query, sql, parameters)
    except Exception as error:
        log.exception("KPI query failed")
        raise HTTPException(502, f"KPI store query failed: {type(error).__name__}") from None


def kpi_router(tenant_of: TenantDependency, settings: Settings) -> APIRouter:
    router = APIRouter()
    Tenant = Annotated[str, Depends(tenant_of)]  # noqa: N806  # a type alias, named like one

    @router.get("/kpi", response_class=HTMLResponse, include_in_schema=False)
    async def kpi_page() -> HTMLResponse:
        """The KPI page; it reads the API key from the URL fragment (#key=...) or asks for it."""
        return HTMLResponse(page_html(settings.kpi_page_refresh_s), headers={"Cache-Control": "no-store"})

    @router.get("/v1/kpis")
    async def kpis(
        request: Request,
        key_tenant: Tenant,
        tenant: str | None = None,
        since: Annotated[str | None, Query(description="ISO 8601 or Unix ms; default until - 24 h")] = None,
        until: Annotated[str | None, Query(description="ISO 8601 or Unix ms; default the end of this hour")] = None,
        channel: str | None = None,
        intent: str | None = None,
    ) -> JSONResponse:
        """Rows of ``kpi_hourly`` (one per hour, tenant, channel and intent) in [since, until)."""
        start, end = time_range(since, until)
        filters = {"tenant_id": scoped_tenant(key_tenant, tenant), "channel": channel, "intent": intent}
        present = {k: v for k, v in filters.items() if v is not None}
        parameters: dict[str, Any] = {
            **present,
            "since": int(start.timestamp()),
            "until": int(end.timestamp()),
            "limit": MAX_ROWS + 1,
        }
        rows = await run_query(query_of(request), hourly_sql(present), parameters)
        body = {
            "tenant": present.get("tenant_id", "*"),
            "since": json_value(start),
            "until": json_value(end),
            "truncated": len(rows) > MAX_ROWS,
            "rows": [{k: json_value(v) for k, v in row.items()} for row in rows[:MAX_ROWS]],
        }
        return JSONResponse(body)

    @router.get("/v1/kpis/csat")
    async def csat_distribution(
        request: Request,
        key_tenant: Tenant,
        tenant: str | None = None,
        since: str | None = None,
        until: str | None = None,
        channel: str | None = None,
    ) -> JSONResponse:
        """How many ratings of each CSAT score (1-5) in [since, until)."""
        start, end = time_range(since, until)
        filters = {"tenant_id": scoped_tenant(key_tenant, tenant), "channel": channel}
        present = {k: v for k, v in filters.items() if v is not None}
        parameters = {
            **present,
            "since_ms": int(start.timestamp() * 1000),
            "until_ms": int(end.timestamp() * 1000),
        }
        rows = await run_query(query_of(request), csat_sql(present), parameters)
        counts = {int(r["csat"]): int(r["ratings"]) for r in rows}
        distribution = {str(score): counts.get(score, 0) for score in range(1, 6)}
        return JSONResponse({"tenant": present.get("tenant_id", "*"), "csat": distribution})

    return router
