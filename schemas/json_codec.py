"""JSON <-> Avro datum conversion driven by the schema, with errors that name the field path.

Producers who cannot speak Avro send JSON (``kefu produce``, ``POST /v1/events``). This module checks a JSON
object against a record schema and turns it into the datum fastavro writes, filling defaults and accepting
friendly forms: ISO-8601 strings for ``timestamp-millis``, a plain value for a ``["null", T]`` union. Errors
say exactly where: ``attachments[0].mime_type: required field is missing``.

Examples
--------
>>> from schemas.catalog import schema
>>> record = from_json({"event_id": "e1", "conversation_id": "c1", "tenant_id": "t1", "channel": "web",
...                     "user_id": "u1", "role": "customer", "text": "你好", "ts": "2026-11-21T08:00:00Z"},
...                    schema("ConversationEvent").json)
>>> record["ts"], record["locale"], record["attachments"]
(1795248000000, 'zh-CN', None)
>>> from_json({"event_id": 1}, schema("ConversationEvent").json)
Traceback (most recent call last):
...
schemas.json_codec.FieldError: event_id: expected string, got int
"""

from __future__ import annotations

import base64
import math
from datetime import UTC, datetime
from typing import Any

INT_RANGE = (-(2**31), 2**31 - 1)
LONG_RANGE = (-(2**63), 2**63 - 1)


class FieldError(ValueError):
    """A JSON value does not fit the schema; ``path`` names the field (``a.b[2].c``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or '$'}: {message}")
        self.path = path or "$"
        self.message = message


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _timestamp_millis(value: Any, path: str) -> int:
    millis = _millis(value, path)
    if not LONG_RANGE[0] <= millis <= LONG_RANGE[1]:  # fastavro would raise OverflowError, far from the field
        raise FieldError(path, f"{millis} is out of range for a timestamp (epoch milliseconds, a long)")
    return millis


def _millis(value: Any, path: str) -> int:
    if isinstance(value, bool):
        raise FieldError(path, "expected a timestamp (epoch milliseconds or ISO-8601), got bool")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise FieldError(path, f"not an ISO-8601 timestamp: {value[:40]!r}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp() * 1000)
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return int(aware.timestamp() * 1000)
    raise FieldError(path, f"expected a timestamp (epoch milliseconds or ISO-8601), got {_type_name(value)}")


class _Converter:
    def __init__(self, root: Any) -> None:
        self.named: dict[str, Any] = {}
        self.root = root

    def convert(self, value: Any, node: Any, path: str) -> Any:
        if isinstance(node, str):
            if node in self.named:
                return self.convert(value, self.named[node], path)
            return self._primitive(value, node, path)
        if isinstance(node, list):
            return self._union(value, node, path)
        kind = node["type"]
        if isinstance(kind, dict | list):
            return self.convert(value, kind, path)
        if node.get("logicalType") == "timestamp-millis" and kind == "long":
            return _timestamp_millis(value, path)
        if kind in ("record", "enum", "fixed"):
            self._remember(node)
        if kind == "record":
            return self._record(value, node, path)
        if kind == "enum":
            if not isinstance(value, str) or value not in node["symbols"]:
                raise FieldError(path, f"{value!r} is not one of {', '.join(node['symbols'])}")
            return value
        if kind == "array":
            if not isinstance(value, list):
                raise FieldError(path, f"expected an array, got {_type_name(value)}")
            return [self.convert(item, node["items"], f"{path}[{i}]") for i, item in enumerate(value)]
        if kind == "map":
            if not isinstance(value, dict):
                raise FieldError(path, f"expected an object, got {_type_name(value)}")
            return {str(k): self.convert(v, node["values"], f"{path}.{k}") for k, v in value.items()}
        return self._primitive(value, kind, path)

    def _remember(self, node: dict[str, Any]) -> None:
        name = node["name"]
        self.named[name] = node
        if "namespace" in node:
            self.named[f"{node['namespace']}.{name}"] = node

    def _record(self, value: Any, node: dict[str, Any], path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise FieldError(path, f"expected an object, got {_type_name(value)}")
        known = {f["name"] for f in node["fields"]}
        unknown = sorted(set(value) - known)
        if unknown:
            raise FieldError(_join(path, unknown[0]), "unknown field")
        out: dict[str, Any] = {}
        for field in node["fields"]:
            name, here = field["name"], _join(path, field["name"])
            if name in value:
                out[name] = self.convert(value[name], field["type"], here)
            elif "default" in field:
                out[name] = self.convert(field["default"], field["type"], here)
            else:
                raise FieldError(here, "required field is missing")
        return out

    def _union(self, value: Any, branches: list[Any], path: str) -> Any:
        if value is None:
            if "null" in branches:
                return None
            raise FieldError(path, "may not be null")
        errors: list[FieldError] = []
        for branch in branches:
            if branch == "null":
                continue
            try:
                return self.convert(value, branch, path)
            except FieldError as error:
                errors.append(error)
        if len(errors) == 1:
            raise errors[0]
        raise FieldError(path, f"matches no branch of the union: {'; '.join(e.message for e in errors)}")

    @staticmethod
    def _primitive(value: Any, kind: str, path: str) -> Any:
        if kind == "null":
            if value is not None:
                raise FieldError(path, f"expected null, got {_type_name(value)}")
            return None
        if kind == "string":
            if not isinstance(value, str):
                raise FieldError(path, f"expected string, got {_type_name(value)}")
            return value
        if kind == "boolean":
            if not isinstance(value, bool):
                raise FieldError(path, f"expected boolean, got {_type_name(value)}")
            return value
        if kind in ("int", "long"):
            low, high = INT_RANGE if kind == "int" else LONG_RANGE
            if isinstance(value, bool) or not isinstance(value, int):
                raise FieldError(path, f"expected {kind}, got {_type_name(value)}")
            if not low <= value <= high:
                raise FieldError(path, f"{value} is out of range for {kind}")
            return value
        if kind in ("float", "double"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise FieldError(path, f"expected {kind}, got {_type_name(value)}")
            return float(value)
        if kind == "bytes":
            if isinstance(value, bytes):
                return value
            if isinstance(value, str):
                try:
                    return base64.b64decode(value, validate=True)
                except ValueError:
                    raise FieldError(path, "expected base64-encoded bytes") from None
            raise FieldError(path, f"expected bytes (base64 string), got {_type_name(value)}")
        raise FieldError(path, f"unsupported schema type {kind!r}")


def from_json(value: Any, record_schema: dict[str, Any]) -> dict[str, Any]:
    """Check a JSON object against a record schema and return the Avro datum, or raise FieldError."""
    datum: dict[str, Any] = _Converter(record_schema).convert(value, record_schema, "")
    return datum


def to_json(datum: Any) -> Any:
    """Make a decoded Avro datum JSON-friendly: datetimes to ISO-8601 UTC, bytes to base64."""
    if isinstance(datum, dict):
        return {k: to_json(v) for k, v in datum.items()}
    if isinstance(datum, list | tuple):
        return [to_json(v) for v in datum]
    if isinstance(datum, datetime):
        aware = datum if datum.tzinfo else datum.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(datum, bytes):
        return base64.b64encode(datum).decode("ascii")
    return datum
