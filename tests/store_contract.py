"""The ClickHouse store contract as chDB tables, standing in for the store until it is merged.

Tables are derived from the Avro schemas exactly as the contract says (columns = Avro field names, nested
records flattened with ``_``, enums LowCardinality(String), timestamps DateTime64(3,'UTC')); array fields are
left out, since the contract does not fix their shape. ``kpi_hourly`` is a TABLE of the view's columns.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from schemas.catalog import schema
from serving.api.kpi_sql import KPI_HOURLY_COLUMNS

TABLES = {
    "events": "EnrichedEvent",
    "bot_replies": "BotReply",
    "handoffs": "Handoff",
    "feedback": "Feedback",
    "kpi_snapshots": "KpiSnapshot",
    "dead_letters": "DeadLetter",
}
_KPI_KEY_TYPES = {
    "hour": "DateTime('UTC')",
    "tenant_id": "String",
    "channel": "LowCardinality(String)",
    "intent": "String",
}
KPI_HOURLY = {
    column: _KPI_KEY_TYPES.get(column, "Nullable(Float64)" if column.startswith("latency_") else "UInt64")
    for column in KPI_HOURLY_COLUMNS
}
PRIMITIVES = {
    "string": "String",
    "bytes": "String",
    "int": "Int32",
    "long": "Int64",
    "float": "Float32",
    "double": "Float64",
    "boolean": "Bool",
}


def _nullable(column_type: str) -> str:
    if column_type.startswith("LowCardinality("):
        return f"LowCardinality(Nullable({column_type[15:-1]}))"
    return column_type if column_type.startswith(("Nullable(", "Map(")) else f"Nullable({column_type})"


def _columns(name: str, avro: Any, nullable: bool = False) -> dict[str, str]:
    """ClickHouse columns of one Avro field (several for a record, none for an array)."""
    if isinstance(avro, list):
        branches = [b for b in avro if b != "null"]
        return _columns(name, branches[0], nullable=nullable or len(branches) < len(avro))
    if isinstance(avro, dict):
        kind = avro["type"]
        if kind == "record":
            out: dict[str, str] = {}
            for field in avro["fields"]:
                out |= _columns(f"{name}_{field['name']}", field["type"], nullable)
            return out
        if kind == "array":
            return {}
        if kind == "map":
            column = "Map(String, String)"
        elif kind == "enum":
            column = "LowCardinality(String)"
        elif avro.get("logicalType") == "timestamp-millis":
            column = "DateTime64(3, 'UTC')"
        else:
            column = PRIMITIVES[kind]
    else:
        column = PRIMITIVES[avro]
    return {name: _nullable(column) if nullable else column}


def table_columns(record: str) -> dict[str, str]:
    """Column name -> ClickHouse type of the table that stores ``record``."""
    out: dict[str, str] = {}
    for field in schema(record).json["fields"]:
        out |= _columns(field["name"], field["type"])
    return out


def contract_columns() -> dict[str, dict[str, str]]:
    """Every table (and the kpi_hourly view) of database ``kefu`` with its columns."""
    return {table: table_columns(record) for table, record in TABLES.items()} | {"kpi_hourly": dict(KPI_HOURLY)}


@cache
def contract_client() -> Any:
    """A chDB (in-memory) clickhouse-connect client with database ``kefu`` and the contract's tables, empty."""
    import clickhouse_connect

    client = clickhouse_connect.get_client(dsn="chdb://memory")
    _create(client)
    return client


def _create(client: Any) -> None:
    # chdb://memory is one engine per process: the store's own tests may have replaced database kefu (with the
    # real view kpi_hourly), so the contract tables are created afresh rather than assumed.
    client.command("DROP DATABASE IF EXISTS kefu SYNC")
    client.command("CREATE DATABASE kefu")
    for table, columns in contract_columns().items():
        body = ", ".join(f"`{name}` {column}" for name, column in columns.items())
        if table == "kpi_hourly":
            engine = "MergeTree ORDER BY (tenant_id, hour)"
        else:
            engine = "ReplacingMergeTree ORDER BY event_id"
        client.command(f"CREATE TABLE kefu.{table} ({body}) ENGINE = {engine}")


def reset(client: Any) -> None:
    _create(client)
