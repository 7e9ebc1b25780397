"""Avro records (decoded dicts) -> Arrow tables whose columns are exactly the store's columns.

The columns are derived from the Avro schema, so a new Avro field shows up here at once and the migration test
fails until a migration adds the column (tests/store/test_migrations.py). Rules:

- nested record ``sentiment`` -> ``sentiment_polarity``, ``sentiment_score``, ... (null record -> null columns)
- array of records ``pii_entities`` -> Nested columns ``pii_entities.type``, ``pii_entities.start``, ...
- enum -> string; timestamp-millis -> ``timestamp[ms, UTC]``; map -> ``map<string, string|double>``

The records are converted in one pass by Arrow (``pa.array`` of the record's struct type, in C++), then split into
columns: about five times faster than building each column in Python.

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

_PRIMITIVES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "bytes": pa.binary(),
}
TIMESTAMP = pa.timestamp("ms", tz="UTC")
Derive = Callable[[pa.StructArray], pa.Array]


class UnsupportedType(TypeError):
    """An Avro type the store has no column mapping for (a schema change needs a decision and a migration)."""


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    derive: Derive  # the column from the Arrow struct array of the records


def _non_null(node: Any) -> Any:
    """T for ["null", T]; the type itself otherwise."""
    if isinstance(node, list):
        others = [t for t in node if t != "null"]
        if len(others) != 1:
            raise UnsupportedType(f"union {node!r}: only [null, T] unions are stored")
        return others[0]
    return node


def arrow_type(node: Any) -> pa.DataType:
    """The Arrow type of an Avro type, nested as in Avro."""
    node = _non_null(node)
    if isinstance(node, str):
        if node in _PRIMITIVES:
            return _PRIMITIVES[node]
        raise UnsupportedType(f"Avro type {node!r} has no column mapping")
    kind = node.get("type")
    if kind == "record":
        return pa.struct([pa.field(f["name"], arrow_type(f["type"])) for f in node["fields"]])
    if kind == "array":
        return pa.list_(arrow_type(node["items"]))
    if kind == "map":
        return pa.map_(pa.string(), arrow_type(node["values"]))
    if kind == "enum":
        return pa.string()
    if kind == "long" and node.get("logicalType") == "timestamp-millis":
        return TIMESTAMP
    if isinstance(kind, str) and kind in _PRIMITIVES and "logicalType" not in node:
        return _PRIMITIVES[kind]
    raise UnsupportedType(f"Avro type {node!r} has no column mapping")


def _field(index: int) -> Derive:
    return lambda records: records.field(index)


def _sub_field(index: int, sub: int) -> Derive:
    # flatten() applies the parent's nulls to its children: a null `sentiment` gives null `sentiment_score`
    return lambda records: records.field(index).flatten()[sub]


def _nested_field(index: int, sub: int) -> Derive:
    def derive(records: pa.StructArray) -> pa.Array:
        lists = records.field(index)
        return pa.ListArray.from_arrays(lists.offsets, lists.values.field(sub), mask=lists.is_null())

    return derive


def columns_of(schema: AvroSchema, excluded: frozenset[str] = frozenset()) -> tuple[pa.StructType, list[Column]]:
    """The records' Arrow struct type (stored fields only) and the store's columns, in schema order."""
    fields = [f for f in schema.json["fields"] if f["name"] not in excluded]
    struct = pa.struct([pa.field(f["name"], arrow_type(f["type"])) for f in fields])
    columns: list[Column] = []
    for index, field in enumerate(fields):
        name, node, kind = field["name"], _non_null(field["type"]), struct.field(index).type
        if isinstance(node, dict) and node.get("type") == "record":
            for sub, child in enumerate(kind):
                columns.append(Column(f"{name}_{child.name}", child.type, _sub_field(index, sub)))
        elif pa.types.is_list(kind) and pa.types.is_struct(kind.value_type):
            for sub, child in enumerate(kind.value_type):
                columns.append(Column(f"{name}.{child.name}", pa.list_(child.type), _nested_field(index, sub)))
        else:
            columns.append(Column(name, kind, _field(index)))
    return struct, columns


class RowConverter:
    """Converts decoded records of one schema to an Arrow table with the store's columns."""

    def __init__(self, schema: AvroSchema, excluded: frozenset[str] = frozenset()) -> None:
        self.struct, self.columns = columns_of(schema, excluded)
        self.schema = pa.schema([pa.field(c.name, c.type) for c in self.columns])

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def to_arrow(self, records: Sequence[dict[str, Any]]) -> pa.Table:
        array = pa.array(records, type=self.struct)
        if isinstance(array, pa.ChunkedArray):  # very large batches come back in chunks
            array = array.combine_chunks()
        return pa.Table.from_arrays([c.derive(array) for c in self.columns], schema=self.schema)
