"""Rows of an analyst's query as Python values, even where a String column holds bytes that are not UTF-8.

ClickHouse's ``String`` is bytes: ``substring``, ``left`` and friends count bytes and can cut a Chinese character
in half, and pyarrow's ``to_pylist`` then raises UnicodeDecodeError. Such text is decoded with U+FFFD in place of
the broken bytes, so the rest of the answer is still shown.

>>> import pyarrow as pa
>>> cut = "我的".encode()[:4]
>>> table = pa.table({"s": pa.array([cut, b"ok"], pa.binary()).view(pa.string()), "n": [1, 2]})
>>> readable_rows(table)
[{'s': '我\ufffd', 'n': 1}, {'s': 'ok', 'n': 2}]
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa


def readable_rows(table: pa.Table) -> list[dict[str, Any]]:
    """``table.to_pylist()``, with text that is not valid UTF-8 decoded with replacement characters."""
    try:
        table.validate(full=True)
    except pa.ArrowInvalid:
        pass
    else:
        rows: list[dict[str, Any]] = table.to_pylist()
        return rows
    columns = [_readable_column(column) for column in table.columns]
    return [dict(zip(table.column_names, values, strict=True)) for values in zip(*columns, strict=True)]


def _readable_column(column: pa.ChunkedArray) -> list[Any]:
    try:
        column.validate(full=True)
    except pa.ArrowInvalid:
        as_bytes = column.cast(_text_as_binary(column.type))
        return [_decoded(value, column.type) for value in as_bytes.to_pylist()]
    values: list[Any] = column.to_pylist()
    return values


def _text_as_binary(kind: pa.DataType) -> pa.DataType:
    """The same type with every string replaced by binary (a cast that keeps the bytes and checks nothing)."""
    if pa.types.is_string(kind):
        return pa.binary()
    if pa.types.is_large_string(kind):
        return pa.large_binary()
    if pa.types.is_map(kind):
        return pa.map_(_text_as_binary(kind.key_type), _text_as_binary(kind.item_type))
    if pa.types.is_list(kind):
        return pa.list_(_text_as_binary(kind.value_type))
    if pa.types.is_large_list(kind):
        return pa.large_list(_text_as_binary(kind.value_type))
    if pa.types.is_struct(kind):
        return pa.struct([field.with_type(_text_as_binary(field.type)) for field in kind])
    return kind


def _decoded(value: Any, kind: pa.DataType) -> Any:
    """A value read as ``_text_as_binary(kind)``, with the bytes that were text decoded again."""
    if value is None:
        return None
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return bytes(value).decode("utf-8", errors="replace")
    if pa.types.is_map(kind):
        return [(_decoded(k, kind.key_type), _decoded(v, kind.item_type)) for k, v in value]
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return [_decoded(item, kind.value_type) for item in value]
    if pa.types.is_struct(kind):
        return {field.name: _decoded(value[field.name], field.type) for field in kind}
    return value
