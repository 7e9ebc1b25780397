"""The ClickHouse store: the sink that writes the contract's records, and read-only access for everyone else.

Public surface (see docs/analytics.md for the tables):

- ``StoreClient.connect(settings=None).query(sql, params=None) -> pyarrow.Table``: read-only SQL in both modes
  (embedded: through the owner's loopback endpoint; production: clickhouse-connect to the server). Raises
  ``QueryRefused``, ``StoreError`` or ``StoreUnavailable``.
- ``ClickHouseSink(client, max_rows=, max_delay_s=)``: ``add(table, record)``, ``due()``, ``flush()``.
- ``check_read_only(sql)``: the guard ``kefu sql`` applies.
- ``TABLES``: which record lands in which table.

Opening a writing client (``streams.store.connection.open_store``) and the sink process
(``streams.store.service.run_sink``) live in their modules.
"""

from streams.store.client import StoreClient, StoreError, StoreUnavailable
from streams.store.sink import ClickHouseSink
from streams.store.sqlguard import QueryRefused, check_read_only
from streams.store.tables import DATABASE, TABLES, Table

__all__ = [
    "DATABASE",
    "TABLES",
    "ClickHouseSink",
    "QueryRefused",
    "StoreClient",
    "StoreError",
    "StoreUnavailable",
    "Table",
    "check_read_only",
]
