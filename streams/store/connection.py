"""Opening the store: the same clickhouse-connect client code for embedded chDB and a ClickHouse server.

Only the DSN differs: ``chdb:///<data dir>/clickhouse`` (embedded; one process may open it, STACK.md) or
``http(s)://user:password@host:8123/kefu`` (production). ``open_store`` is what the owner runs at start-up:
database, migrations, text retention.
"""

from __future__ import annotations

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from kefu.settings import Settings
from streams.store.migrations import apply_migrations
from streams.store.retention import apply_text_retention, parse_tenant_retention, text_ttl_expression
from streams.store.tables import DATABASE

#: Settings every analyst query runs with: ClickHouse itself refuses writes, DDL and setting changes.
READ_ONLY = {"readonly": 1}


def store_dsn(settings: Settings) -> str:
    """The configured DSN, or the embedded chDB directory inside the data directory."""
    if settings.clickhouse_dsn:
        return settings.clickhouse_dsn
    return f"chdb://{(settings.data_dir / 'clickhouse').resolve()}"


def connect(
    dsn: str, *, read_only: bool = False, query_timeout_s: float | None = None, scope: dict[str, str] | None = None
) -> Client:
    """A client on the ``kefu`` database; ``read_only`` gives one whose session cannot write or change settings.

    ``scope`` holds session settings fixed before ``readonly`` (a tenant's ``additional_table_filters``).
    For chDB the database is created here (a server's comes with its deployment, as in docker-compose.yml).
    """
    session: dict[str, object] = {}
    if query_timeout_s is not None:
        session["max_execution_time"] = int(query_timeout_s)
    session.update(scope or {})
    if dsn.startswith("chdb:"):
        client = clickhouse_connect.get_client(dsn=dsn)
        client.command(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
        client.database = DATABASE
        # Session settings apply in order: limits first, then readonly, which freezes them.
        for key, value in {**session, **(READ_ONLY if read_only else {})}.items():
            client.set_client_setting(key, value)
        return client
    client = clickhouse_connect.get_client(dsn=dsn, settings=session)
    if not client.database:
        client.database = DATABASE
    return client


def open_store(settings: Settings, dsn: str | None = None) -> Client:
    """The owner's writing client, with migrations and text retention applied."""
    client = connect(dsn or store_dsn(settings))
    apply_migrations(client)
    expression = text_ttl_expression(
        settings.store_text_retention_days, parse_tenant_retention(settings.store_tenant_text_retention)
    )
    apply_text_retention(client, expression)
    return client
