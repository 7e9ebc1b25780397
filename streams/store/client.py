"""StoreClient: read the store from any process, in both modes, as Arrow tables.

- Production (``KEFU_CLICKHOUSE_DSN=http://...``): clickhouse-connect straight to the ClickHouse server.
- Embedded: the chDB directory has one owner, the sink process (``kefu sink``); other processes send queries to
  its loopback endpoint (``streams/store/server.py``), authenticated with the token in ``<data dir>/store.json``.

Every query is checked by the read-only guard and runs with ClickHouse's ``readonly=1``.

    store = StoreClient.connect()
    table = store.query("SELECT tenant_id, count() AS n FROM events FINAL WHERE ts >= {since:DateTime64(3)} "
                        "GROUP BY tenant_id", {"since": "2026-11-01 00:00:00"})
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx
import pyarrow as pa

from kefu.settings import Settings, get_settings
from streams.store.sqlguard import check_read_only
from streams.store.tenant_scope import TABLES_SQL, ScopedSessions, check_tenant_query, valid_tenant

if TYPE_CHECKING:  # clickhouse-connect loads in 0.3-1 s: `kefu sql` against the embedded owner does without it
    from clickhouse_connect.driver.client import Client

ENDPOINT_FILE = "store.json"
Params = dict[str, Any]


class StoreError(RuntimeError):
    """ClickHouse refused or failed a query; the message is ClickHouse's."""


class StoreUnavailable(RuntimeError):
    """No store to query: the embedded owner is not running, or the server cannot be reached."""


class QueryBackend(Protocol):
    def query(self, sql: str, params: Params | None, tenant: str | None = None) -> pa.Table: ...

    def close(self) -> None: ...


_DATETIME = re.compile(r"^(Nullable\()?DateTime(\(.*\))?\)?$")


def with_datetimes(table: pa.Table, types: dict[str, str]) -> pa.Table:
    """``table`` with its ``DateTime`` columns as UTC timestamps.

    ClickHouse's Arrow output writes ``DateTime`` (seconds) as plain ``uint32`` (``DateTime64`` becomes a timestamp),
    so without this an hour bucket reaches analysts and the KPI page as 1795345200. ``types`` are the result's
    ClickHouse types by column name (``DESCRIBE`` of the query).
    """
    for index, field in enumerate(table.schema):
        if pa.types.is_uint32(field.type) and _DATETIME.match(types.get(field.name, "")):
            seconds = table.column(index).cast(pa.int64())
            table = table.set_column(index, field.name, seconds.cast(pa.timestamp("s", tz="UTC")))
    return table


class DirectBackend:
    """A clickhouse-connect client: the server in production, the owner's own read-only chDB session."""

    def __init__(
        self,
        client: Client,
        query_settings: dict[str, Any] | None = None,
        open_scoped: Callable[[dict[str, str]], Client] | None = None,
    ) -> None:
        """``open_scoped(settings)`` opens a read-only session with a tenant's filters (None: no tenant queries)."""
        self.client = client
        self.query_settings = query_settings or {}
        self._scoped = ScopedSessions(open_scoped) if open_scoped is not None else None
        self._lock = threading.Lock()  # one query at a time per session (chDB sessions are not concurrent)

    def query(self, sql: str, params: Params | None, tenant: str | None = None) -> pa.Table:
        from clickhouse_connect.driver.exceptions import ClickHouseError

        try:
            with self._lock:
                client = self.client
                if tenant is not None:
                    if self._scoped is None:
                        raise StoreError("tenant-scoped queries are not available on this connection")
                    tables = {str(r[0]): bool(r[1]) for r in self.client.query(TABLES_SQL).result_rows}
                    client = self._scoped.session(valid_tenant(tenant), tables)
                table = client.query_arrow(sql, parameters=params or {}, settings=self.query_settings)
                if any(pa.types.is_uint32(field.type) for field in table.schema):
                    table = with_datetimes(table, self._result_types(client, sql, params))
                return table
        except ClickHouseError as error:
            raise StoreError(str(error).split("\n")[0]) from None

    @staticmethod
    def _result_types(client: Client, sql: str, params: Params | None) -> dict[str, str]:
        """The ClickHouse type of each result column (none when ClickHouse cannot describe the statement)."""
        from clickhouse_connect.driver.exceptions import ClickHouseError

        try:  # the newline ends a trailing "-- comment" before the closing parenthesis
            described = client.query(f"DESCRIBE TABLE ({sql.strip().rstrip(';')}\n)", parameters=params or {})
        except ClickHouseError:
            return {}
        return {str(row[0]): str(row[1]) for row in described.result_rows}

    def close(self) -> None:
        self.client.close()


class LoopbackBackend:
    """Queries sent to the embedded store's owner over HTTP; answers come back as Arrow IPC streams."""

    def __init__(self, url: str, token: str, timeout_s: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(timeout=timeout_s, headers={"Authorization": f"Bearer {token}"})

    def query(self, sql: str, params: Params | None, tenant: str | None = None) -> pa.Table:
        body: dict[str, Any] = {"sql": sql, "params": params or {}}
        if tenant is not None:
            body["tenant"] = tenant
        try:
            response = self._http.post(f"{self.url}/query", json=body)
        except httpx.HTTPError as error:
            raise StoreUnavailable(f"the store at {self.url} did not answer: {error}") from None
        if response.status_code != 200:
            try:
                message = response.json().get("error", response.text)
            except ValueError:
                message = response.text
            raise StoreError(str(message))
        with pa.ipc.open_stream(response.content) as reader:
            return reader.read_all()

    def close(self) -> None:
        self._http.close()


def write_endpoint(data_dir: Path, url: str, token: str) -> None:
    """Publish the owner's endpoint (0600: the token lets a process read every tenant's data)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / ENDPOINT_FILE
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"url": url, "token": token, "pid": os.getpid()}, out)
    os.replace(tmp, path)


def read_endpoint(data_dir: Path) -> dict[str, Any] | None:
    """The live owner's endpoint, or None when there is none (or its process is gone)."""
    try:
        endpoint: dict[str, Any] = json.loads((data_dir / ENDPOINT_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    try:
        os.kill(int(endpoint["pid"]), 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return endpoint


class StoreClient:
    """Read-only SQL on the store, returning ``pyarrow.Table``; ``connect()`` picks the mode from the settings."""

    def __init__(self, backend: QueryBackend) -> None:
        self.backend = backend

    @classmethod
    def connect(cls, settings: Settings | None = None) -> StoreClient:
        settings = settings or get_settings()
        if not settings.embedded_store:
            from streams.store.connection import READ_ONLY, connect, store_dsn

            dsn = store_dsn(settings)
            timeout = settings.store_query_timeout_s
            try:
                client = connect(dsn, query_timeout_s=timeout)
            except Exception as error:
                raise StoreUnavailable(f"cannot connect to ClickHouse at {dsn.split('@')[-1]}: {error}") from None
            return cls(
                DirectBackend(client, READ_ONLY, lambda scope: connect(dsn, query_timeout_s=timeout, scope=scope))
            )
        endpoint = read_endpoint(settings.data_dir)
        if endpoint is None:
            raise StoreUnavailable(
                f"the embedded store is not running for data dir {settings.data_dir}: start the platform "
                "(`kefu up`) or the sink (`kefu sink`), or set KEFU_CLICKHOUSE_DSN"
            )
        return cls(LoopbackBackend(str(endpoint["url"]), str(endpoint["token"]), settings.store_query_timeout_s + 5))

    def query(self, sql: str, params: Params | None = None, *, tenant: str | None = None) -> pa.Table:
        """Run one read-only statement; ``{name:Type}`` placeholders take their values from ``params``.

        ``tenant`` scopes it to that tenant's rows (a tenant's analyst); None reads every tenant (an operator).
        Raises QueryRefused (not read-only), StoreError (ClickHouse's error) or StoreUnavailable.
        """
        if tenant is None:
            check_read_only(sql)
        else:
            check_tenant_query(sql)
        return self.backend.query(sql, params, tenant)

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> StoreClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
