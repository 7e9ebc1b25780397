"""Raw-text retention per tenant: a column TTL on every free-text column, derived from the settings.

Rows stay (the KPIs need them); after the tenant's retention the text columns are emptied by ClickHouse's TTL
merges. Retention is configuration, not schema history, so it is applied at start-up (an ``ALTER ... MODIFY
COLUMN ... TTL`` only when the expression changed) rather than written into a migration.

>>> text_ttl_expression(365, {"acme": 30})
"toDateTime(ts) + toIntervalDay(multiIf(tenant_id = 'acme', 30, 365))"
>>> parse_tenant_retention("acme:30, beta:7")
{'acme': 30, 'beta': 7}
"""

from __future__ import annotations

import logging
import re

from clickhouse_connect.driver.client import Client

from streams.store.tables import TABLES

log = logging.getLogger(__name__)
_TENANT = re.compile(r"^[A-Za-z0-9_.:@-]+$")


def parse_tenant_retention(spec: str | None) -> dict[str, int]:
    """``tenant:days`` pairs, comma-separated, as in ``KEFU_STORE_TENANT_TEXT_RETENTION``."""
    retention: dict[str, int] = {}
    for pair in filter(None, (p.strip() for p in (spec or "").split(","))):
        tenant, _, days = pair.rpartition(":")
        if not _TENANT.match(tenant) or not days.isdigit() or int(days) < 1:
            raise ValueError(f"tenant text retention {pair!r} is not tenant:days (days >= 1)")
        retention[tenant] = int(days)
    return retention


def text_ttl_expression(default_days: int, per_tenant: dict[str, int]) -> str:
    """The TTL expression, written as ClickHouse formats it (so a re-start can tell it is unchanged)."""
    if not per_tenant:
        return f"toDateTime(ts) + toIntervalDay({default_days})"
    branches = ", ".join(f"tenant_id = '{tenant}', {days}" for tenant, days in sorted(per_tenant.items()))
    return f"toDateTime(ts) + toIntervalDay(multiIf({branches}, {default_days}))"


def apply_text_retention(client: Client, expression: str) -> list[str]:
    """Set ``expression`` as the TTL of every text column whose TTL differs; returns the columns changed."""
    changed: list[str] = []
    for table in TABLES:
        if not table.text_columns:
            continue
        create = client.query(
            "SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = {t:String}",
            parameters={"t": table.name},
        ).result_rows[0][0]
        found = client.query(
            "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {t:String}",
            parameters={"t": table.name},
        ).result_rows
        types: dict[str, str] = {str(name): str(kind) for name, kind in found}
        for column in table.text_columns:
            definition = f"`{column}` {types[column]} TTL {expression}"
            if definition in create:
                continue
            client.command(f"ALTER TABLE {table.name} MODIFY COLUMN {definition}")
            changed.append(f"{table.name}.{column}")
    if changed:
        log.info("text retention TTL set on %s: %s", ", ".join(changed), expression)
    return changed
