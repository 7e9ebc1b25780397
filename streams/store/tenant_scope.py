"""Tenant-scoped analyst SQL: the same read-only queries, seeing one tenant's rows only.

An operator's query (no tenant) reads every tenant. A tenant-scoped query runs in a session whose ClickHouse
setting ``additional_table_filters`` adds ``tenant_id = '<tenant>'`` to every read of every ``kefu`` table that has
a ``tenant_id`` column, and ``0`` (nothing) to every other ``kefu`` table; the filter applies inside views too
(``kpi_hourly``), so the analyst cannot step around it. The setting is fixed before ``readonly=1`` freezes the
session, so the query cannot change it, and the guard refuses ``system.*`` and ``INFORMATION_SCHEMA`` for it.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from streams.store.sqlguard import QueryRefused, check_read_only, tokenize
from streams.store.tables import DATABASE

TENANT_SHAPE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_METADATA_DATABASES = frozenset({"system", "information_schema"})


def check_tenant_query(sql: str) -> None:
    """:func:`check_read_only`, and no system or information-schema tables (other tenants' metadata)."""
    check_read_only(sql)
    for token in tokenize(sql):
        if token.kind in ("word", "quoted") and token.name.lower() in _METADATA_DATABASES:
            raise QueryRefused(f"{token.name} tables are not readable by a tenant-scoped analyst")


def valid_tenant(tenant: str) -> str:
    if not TENANT_SHAPE.match(tenant) or tenant == "*":
        raise QueryRefused(f"not a tenant id: {tenant[:40]!r}")
    return tenant


def tenant_filters(tables: dict[str, bool], tenant: str) -> dict[str, str]:
    """The session settings that scope reads to ``tenant``; ``tables`` maps a table to whether it has tenant_id.

    >>> tenant_filters({"events": True, "schema_migrations": False}, "acme")["additional_table_filters"]
    "{'kefu.events':'tenant_id = \\\\'acme\\\\'', 'kefu.schema_migrations':'0'}"
    """
    valid_tenant(tenant)
    entries = [
        f"'{DATABASE}.{name}':'" + (f"tenant_id = \\'{tenant}\\'" if has_tenant else "0") + "'"
        for name, has_tenant in sorted(tables.items())
    ]
    return {"additional_table_filters": "{" + ", ".join(entries) + "}"}


TABLES_SQL = (
    "SELECT table, countIf(name = 'tenant_id') > 0 AS has_tenant FROM system.columns "
    f"WHERE database = '{DATABASE}' GROUP BY table"
)


class ScopedSessions:
    """One read-only session per tenant (at most ``max_sessions``, least recently used closed first)."""

    def __init__(self, open_session: Callable[[dict[str, Any]], Any], max_sessions: int = 64) -> None:
        self._open, self._max = open_session, max_sessions
        self._sessions: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def session(self, tenant: str, tables: dict[str, bool]) -> Any:
        with self._lock:
            session = self._sessions.pop(tenant, None)
            if session is None:
                session = self._open(tenant_filters(tables, tenant))
            self._sessions[tenant] = session
            while len(self._sessions) > self._max:
                _, oldest = self._sessions.popitem(last=False)
                oldest.close()
            return session
