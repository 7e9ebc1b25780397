"""``POST /v1/sql``: analysts' read-only SQL over the store, over HTTP; a tenant's key reads its own rows only.

Body: ``{"sql": "SELECT ...", "params": {"name": value}, "tenant": "acme"}``. The statement goes through the same
path as ``kefu sql``: the read-only guard (``streams.store.sqlguard``), and for a tenant's key a session whose
``additional_table_filters`` keep that tenant's rows in every table and view, with system tables refused
(``streams.store.tenant_scope``). An operator key (``*``) reads every tenant, or one when ``tenant`` is given.
Parameters are bound by ClickHouse (``{name:Type}`` in the SQL), never pasted. At most ``KEFU_SQL_MAX_ROWS`` rows
come back (``truncated`` says when there were more); ``KEFU_STORE_QUERY_TIMEOUT_S`` bounds the run.

One analyst statement runs at a time per API process; another that arrives meanwhile gets 429 with
``Retry-After``: the store serves the agents' queue, transcripts and KPI pages too (embedded, one query at a time),
and a burst of long analyst queries must not hold those up.

Answers: 200 ``{"tenant", "columns", "rows", "truncated"}``; 400 for a refused or failing statement (the reason
is ClickHouse's first line, or the guard's); 403 for another tenant's rows; 422 for a malformed body; 429 while
another analyst statement runs; 503 when the store is not reachable.
"""

import asyncio
import math
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from kefu.settings import Settings
from serving.api.deps import TenantDependency
from serving.api.kpi import query_of, scoped_tenant
from serving.api.kpi_sql import json_value
from streams.store.client import StoreError, StoreUnavailable
from streams.store.sqlguard import QueryRefused

MAX_SQL_CHARS = 20_000
SCALARS = (str, int, float, bool, type(None))


def _statement(payload: Any) -> tuple[str, dict[str, Any], str | None]:
    """``(sql, params, tenant)`` of a request body; raises ValueError naming what is wrong."""
    if not isinstance(payload, dict):
        raise ValueError("the body must be a JSON object with `sql`")
    sql, params, tenant = payload.get("sql"), payload.get("params", {}), payload.get("tenant")
    if not isinstance(sql, str) or not sql.strip() or len(sql) > MAX_SQL_CHARS:
        raise ValueError(f"sql: expected one statement of at most {MAX_SQL_CHARS} characters")
    if not isinstance(params, dict) or not all(isinstance(v, SCALARS) for v in params.values()):
        raise ValueError("params: expected an object of names to strings, numbers, booleans or null")
    if tenant is not None and (not isinstance(tenant, str) or not tenant):
        raise ValueError("tenant: expected a tenant id")
    return sql, params, tenant


def cell(value: Any) -> Any:
    """A result value as JSON: datetimes in ISO 8601 UTC, dates ISO, decimals as numbers, bytes as hex, and NaN or
    infinity (``avg`` of no rows) as null, which JSON has no number for.

    >>> cell(date(2026, 11, 23)), cell(Decimal("1.5")), cell(b"\\x01"), cell({"k": [datetime(2026, 1, 1)]})
    ('2026-11-23', 1.5, '01', {'k': ['2026-01-01T00:00:00Z']})
    >>> cell(float("nan")), cell(float("inf")), cell(2.5)
    (None, None, 2.5)
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return json_value(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(key): cell(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [cell(item) for item in value]
    return value


def limited(sql: str, max_rows: int) -> str:
    """The statement as a subquery with one row more than may be returned (so truncation shows).

    >>> limited("SELECT 1;  ", 10)
    'SELECT * FROM (\\nSELECT 1\\n) LIMIT 11'
    """
    return f"SELECT * FROM (\n{sql.strip().rstrip(';')}\n) LIMIT {max_rows + 1}"


def analyst_router(tenant_of: TenantDependency, settings: Settings) -> APIRouter:
    router = APIRouter()
    Tenant = Annotated[str, Depends(tenant_of)]  # noqa: N806  # a type alias, named like one
    running = asyncio.Lock()  # one analyst statement at a time in this process

    @router.post("/v1/sql")
    async def analyst_sql(request: Request, key_tenant: Tenant) -> JSONResponse:
        """One read-only statement over the store; a tenant's key sees its own rows only."""
        try:
            sql, params, requested = _statement(orjson.loads(await request.body()))
        except orjson.JSONDecodeError as error:
            return JSONResponse({"error": f"body is not valid JSON: {error}"}, status_code=422)
        except ValueError as error:
            return JSONResponse({"error": str(error)}, status_code=422)
        tenant = scoped_tenant(key_tenant, requested)  # 403 for another tenant's key
        query = query_of(request)
        max_rows = settings.sql_max_rows
        if running.locked():
            busy = {"error": "another analyst query is running; retry shortly"}
            return JSONResponse(busy, status_code=429, headers={"Retry-After": "2"})
        try:
            async with running:
                statement = limited(sql, max_rows)
                rows = await asyncio.get_running_loop().run_in_executor(None, query, statement, params, tenant)
        except QueryRefused as error:
            return JSONResponse({"error": f"refused: {error}"}, status_code=400)
        except StoreError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        except StoreUnavailable as error:
            return JSONResponse({"error": str(error)}, status_code=503)
        shown = [{name: cell(value) for name, value in row.items()} for row in rows[:max_rows]]
        return JSONResponse(
            {
                "tenant": tenant or "*",
                "columns": list(rows[0]) if rows else [],
                "rows": shown,
                "truncated": len(rows) > max_rows,
            }
        )

    return router
