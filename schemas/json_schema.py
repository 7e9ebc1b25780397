"""JSON Schema of the JSON form of a contract record, for the HTTP API's OpenAPI document.

The HTTP API takes events as JSON and checks them with :mod:`schemas.json_codec`, which is driven by the Avro
schema; this module describes the same accepted forms as JSON Schema (draft 2020-12, which OpenAPI 3.1 uses), so
``/openapi.json`` and the Swagger page at ``/docs`` show every field with its type, default and documentation, and
cannot drift from the contract: both are read from the ``.avsc`` files.

The forms follow the codec: a ``timestamp-millis`` is epoch milliseconds or an ISO-8601 string, a ``["null", T]``
union takes null or a plain ``T``, ``bytes`` are base64, a field with a default may be left out, and a field that
is not in the record is refused.

Examples
--------
>>> from schemas.catalog import schema
>>> event = record_json_schema(schema("ConversationEvent").json)
>>> event["required"][:3], event["properties"]["channel"]["enum"][:2], event["additionalProperties"]
(['event_id', 'conversation_id', 'tenant_id'], ['web', 'app'], False)
>>> event["properties"]["locale"]["default"]
'zh-CN'
"""

from __future__ import annotations

import copy
from typing import Any

from schemas.json_codec import INT_RANGE, LONG_RANGE

__all__ = ["record_json_schema"]

JsonSchema = dict[str, Any]

_BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
_PRIMITIVES: dict[str, JsonSchema] = {
    "null": {"type": "null"},
    "boolean": {"type": "boolean"},
    "int": {"type": "integer", "minimum": INT_RANGE[0], "maximum": INT_RANGE[1]},
    "long": {"type": "integer", "minimum": LONG_RANGE[0], "maximum": LONG_RANGE[1]},
    "float": {"type": "number"},
    "double": {"type": "number"},
    "string": {"type": "string"},
    "bytes": {"type": "string", "contentEncoding": "base64", "pattern": _BASE64},
}
_TIMESTAMP: JsonSchema = {
    "anyOf": [
        {
            "type": "number",
            "minimum": LONG_RANGE[0],
            "maximum": LONG_RANGE[1],
            "description": "epoch milliseconds (a fraction is dropped)",
        },
        {
            "type": "string",
            "format": "date-time",
            "pattern": r"^\d{4}-\d{2}-\d{2}",
            "description": "ISO-8601, e.g. 2026-11-21T08:00:00Z; UTC when it names no offset",
        },
    ]
}


def record_json_schema(record: dict[str, Any]) -> JsonSchema:
    """The JSON Schema of what :func:`schemas.json_codec.from_json` accepts for ``record`` (an Avro record)."""
    return _Translator().translate(record)


class _Translator:
    def __init__(self) -> None:
        self.named: dict[str, Any] = {}

    def translate(self, node: Any) -> JsonSchema:
        if isinstance(node, str):
            if node in self.named:
                return self.translate(self.named[node])
            if node not in _PRIMITIVES:
                raise ValueError(f"unsupported Avro type {node!r}")
            return copy.deepcopy(_PRIMITIVES[node])
        if isinstance(node, list):
            return self._union(node)
        kind = node["type"]
        if isinstance(kind, dict | list):
            return self.translate(kind)
        if node.get("logicalType") == "timestamp-millis" and kind == "long":
            return _documented(copy.deepcopy(_TIMESTAMP), node)  # callers may refine the copy's branches
        if kind in ("record", "enum", "fixed"):
            self._remember(node)
        if kind == "record":
            return self._record(node)
        if kind == "enum":
            return _documented({"type": "string", "enum": list(node["symbols"])}, node)
        if kind == "array":
            return {"type": "array", "items": self.translate(node["items"])}
        if kind == "map":
            return {"type": "object", "additionalProperties": self.translate(node["values"])}
        return self.translate(kind)

    def _remember(self, node: dict[str, Any]) -> None:
        self.named[node["name"]] = node
        if "namespace" in node:
            self.named[f"{node['namespace']}.{node['name']}"] = node

    def _record(self, node: dict[str, Any]) -> JsonSchema:
        properties: dict[str, JsonSchema] = {}
        required: list[str] = []
        for field in node["fields"]:
            translated = _documented(self.translate(field["type"]), field)
            if "default" in field:
                translated["default"] = field["default"]
            else:
                required.append(field["name"])
            properties[field["name"]] = translated
        out: JsonSchema = {"type": "object", "properties": properties, "additionalProperties": False}
        if required:
            out["required"] = required
        return _documented(out, node, title=node["name"])

    def _union(self, branches: list[Any]) -> JsonSchema:
        translated = [self.translate(branch) for branch in branches]
        return translated[0] if len(translated) == 1 else {"anyOf": translated}


def _documented(translated: JsonSchema, node: dict[str, Any], *, title: str | None = None) -> JsonSchema:
    if title:
        translated["title"] = title
    if node.get("doc"):
        translated["description"] = node["doc"]
    return translated
