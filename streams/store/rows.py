"""Avro records (decoded dicts) -> Arrow tables whose columns are exactly the store's columns.

The columns are derived from the Avro schema, so a new Avro field shows up here at once and the migration test
fails until a migration adds the column (tests/store/test_migrations.py). Rules:

- nested record ``sentiment`` -> ``sentiment_polarity``, ``sentiment_score``, ... (null record -> null columns)
- array of records ``pii_entities`` -> Nested columns ``pii_entities.type``, ``pii_entities.start``, ...
- enum -> string; timestamp-millis -> ``timestamp[ms, UTC]``; map -> ``map<string, string|double>``

>>> from schemas.catalog import schema
>>> converter = RowConverter(schema("Feedback"))
>>> converter.column_names[:4]
['event_id', 'conversation_id', 'tenant_id', 'reply_id']
>>> table = converter.to_arrow([{"event_id": "f1", "conversation_id": "c1", "tenant_id": "acme", "reply_id": None,
...     "message_id": None, "user_id": "u1", "source": "customer", "csat": 5, "thumbs": None, "resolved": True,
...     "corrected_intent": None, "comment": None, "ts": 1795000000000}])
>>> table.column("csat").to_pylist(), str(table.column("ts").type)
([5], 'timestamp[ms, tz=UTC]')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from schemas.catalog import AvroSchema

Getter = Callable[[dict[str, Any]], Any]

_PRIMITIVES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
}
TIMESTAMP = pa.timestamp("ms", tz="UTC")


class UnsupportedType(TypeError):
    """An Avro type the store has no column mapping for (a schema change needs a decision and a migration)."""


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    get: Getter


def _scalar_type(node: Any) -> pa.DataType:
    """Arrow type of a non-record, non-array Avro type (nullability is handled by the caller)."""
    if isinstance(node, str):
        if node in _PRIMITIVES:
            return _PRIMITIVES[node]
        raise UnsupportedType(f"Avro type {node!r} has no column mapping")
    kind = node.get("type")
    if kind == "enum":
        return pa.string()
    if kind == "long" and node.get("logicalType") == "timestamp-millis":
        return TIMESTAMP
    if kind == "map":
        return pa.map_(pa.string(), _scalar_type(node["values"]))
    if isinstance(kind, str) and kind in _PRIMITIVES and "logicalType" not in node:
        return _PRIMITIVES[kind]
    raise UnsupportedType(f"Avro type {node!r} has no column mapping")


def _non_null(node: Any) -> tuple[Any, bool]:
    """(the type, whether null is allowed) for an Avro type that may be a ["null", T] union."""
    if isinstance(node, list):
        others = [t for t in node if t != "null"]
        if len(others) != 1:
            raise UnsupportedType(f"union {node!r}: only [null, T] unions are stored")
        return others[0], len(others) < len(node)
    return node, False


def _is_record(node: Any) -> bool:
    return isinstance(node, dict) and node.get("type") == "record"


def _field_getter(name: str) -> Getter:
    return lambda datum: datum[name]


def _sub_getter(name: str, sub: str) -> Getter:
    def get(datum: dict[str, Any]) -> Any:
        inner = datum[name]
        return None if inner is None else inner[sub]

    return get


def _nested_getter(name: str, sub: str) -> Getter:
    return lambda datum: [item[sub] for item in datum[name]]


def columns_of(schema: AvroSchema, excluded: frozenset[str] = frozenset()) -> list[Column]:
    """The store's columns for a record schema, in schema order."""
    columns: list[Column] = []
    for field in schema.json["fields"]:
        name = field["name"]
        if name in excluded:
            continue
        node, _ = _non_null(field["type"])
        if _is_record(node):
            for sub in node["fields"]:
                sub_type, _ = _non_null(sub["type"])
                columns.append(Column(f"{name}_{sub['name']}", _scalar_type(sub_type), _sub_getter(name, sub["name"])))
        elif isinstance(node, dict) and node.get("type") == "array":
            items, _ = _non_null(node["items"])
            if not _is_record(items):
                columns.append(Column(name, pa.list_(_scalar_type(items)), _field_getter(name)))
                continue
            for sub in items["fields"]:
                sub_type, _ = _non_null(sub["type"])
                kind = pa.list_(_scalar_type(sub_type))
                columns.append(Column(f"{name}.{sub['name']}", kind, _nested_getter(name, sub["name"])))
        else:
            columns.append(Column(name, _scalar_type(node), _field_getter(name)))
    return columns


class RowConverter:
    """Converts decoded records of one schema to an Arrow table with the store's columns."""

    def __init__(self, schema: AvroSchema, excluded: frozenset[str] = frozenset()) -> None:
        self.columns = columns_of(schema, excluded)
        self.schema = pa.schema([pa.field(c.name, c.type) for c in self.columns])

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def to_arrow(self, records: Sequence[dict[str, Any]]) -> pa.Table:
        arrays = [pa.array([c.get(r) for r in records], type=c.type) for c in self.columns]
        return pa.Table.from_arrays(arrays, schema=self.schema)
