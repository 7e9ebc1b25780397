"""Avro schema-resolution checks: can data written with one schema be read with another?

Kefu's contract is BACKWARD compatible (Confluent's default): a consumer on the new schema reads everything
written with the previous one. The same check guards the embedded registry and the release test.

Examples
--------
>>> old = {"type": "record", "name": "E", "fields": [{"name": "a", "type": "int"}]}
>>> new = {"type": "record", "name": "E", "fields": [{"name": "a", "type": "long"},
...        {"name": "b", "type": "string", "default": ""}]}
>>> backward_incompatibilities(new, old)
[]
>>> bad = {"type": "record", "name": "E", "fields": [{"name": "b", "type": "string"}]}
>>> backward_incompatibilities(bad, old)
['E.b: new field has no default']
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED = frozenset({"record", "error", "enum", "fixed"})
# Writer type -> reader types it may be promoted to (Avro specification, "Schema Resolution").
PROMOTIONS: dict[str, frozenset[str]] = {
    "int": frozenset({"long", "float", "double"}),
    "long": frozenset({"float", "double"}),
    "float": frozenset({"double"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}
LEVELS = (
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
)


class _Names:
    """Named types of one schema, by full name, so references like ``"kefu.v1.Channel"`` resolve."""

    def __init__(self, root: Any) -> None:
        self.types: dict[str, dict[str, Any]] = {}
        self._collect(root, "")
        # Short names too: a reference like "Channel" inside namespace kefu.v1 means kefu.v1.Channel.
        self.short: dict[str, dict[str, Any]] = {full.rpartition(".")[2]: t for full, t in self.types.items()}

    def _collect(self, node: Any, namespace: str) -> None:
        if isinstance(node, list):
            for branch in node:
                self._collect(branch, namespace)
        elif isinstance(node, dict):
            kind = node.get("type")
            if kind in NAMED:
                full = _full_name(node, namespace)
                self.types[full] = node
                namespace = full.rpartition(".")[0]
                for field in node.get("fields", []):
                    self._collect(field["type"], namespace)
            elif kind == "array":
                self._collect(node["items"], namespace)
            elif kind == "map":
                self._collect(node["values"], namespace)
            elif isinstance(kind, dict | list):
                self._collect(kind, namespace)

    def resolve(self, node: Any, namespace: str) -> Any:
        if isinstance(node, str) and node not in PRIMITIVES:
            full = node if "." in node else f"{namespace}.{node}" if namespace else node
            found = self.types.get(full) or self.types.get(node) or self.short.get(node.rpartition(".")[2])
            return found if found is not None else node
        if isinstance(node, dict) and isinstance(node.get("type"), dict | list):
            return self.resolve(node["type"], namespace)
        if isinstance(node, dict) and node.get("type") in PRIMITIVES:
            return node["type"]  # logical types read as their underlying type
        return node


def _full_name(node: dict[str, Any], namespace: str) -> str:
    name: str = node["name"]
    if "." in name:
        return name
    ns = node.get("namespace", namespace)
    return f"{ns}.{name}" if ns else name


def _kind(node: Any) -> str:
    if isinstance(node, list):
        return "union"
    if isinstance(node, str):
        return node
    kind: str = node["type"]
    return kind


def _short(node: dict[str, Any]) -> str:
    name: str = node["name"]
    return name.rpartition(".")[2]


def _check(
    reader: Any, writer: Any, rnames: _Names, wnames: _Names, path: str, seen: set[tuple[int, int]]
) -> Iterator[str]:
    reader = rnames.resolve(reader, "")
    writer = wnames.resolve(writer, "")
    if isinstance(reader, dict) and isinstance(writer, dict) and "name" in reader:
        key = (id(reader), id(writer))  # only named types can recurse; anything else must be checked each time
        if key in seen:
            return
        seen.add(key)
    rk, wk = _kind(reader), _kind(writer)
    if wk == "union":
        for branch in writer:
            yield from _check(reader, branch, rnames, wnames, path, seen)
        return
    if rk == "union":
        if not any(not list(_check(b, writer, rnames, wnames, path, set(seen))) for b in reader):
            yield f"{path}: writer type {wk} matches no branch of the reader's union"
        return
    if rk in PRIMITIVES or wk in PRIMITIVES:
        if rk != wk and rk not in PROMOTIONS.get(wk, frozenset()):
            yield f"{path}: {wk} cannot be read as {rk}"
        return
    if rk != wk:
        yield f"{path}: {wk} cannot be read as {rk}"
        return
    if rk in {"record", "error"}:
        yield from _check_record(reader, writer, rnames, wnames, path, seen)
    elif rk == "enum":
        if _short(reader) != _short(writer):
            yield f"{path}: enum {_short(writer)} cannot be read as {_short(reader)}"
        elif "default" not in reader:
            missing = [s for s in writer["symbols"] if s not in reader["symbols"]]
            if missing:
                yield f"{path}: enum symbols {missing} removed without a default"
    elif rk == "fixed":
        if _short(reader) != _short(writer) or reader["size"] != writer["size"]:
            yield f"{path}: fixed {_short(writer)} cannot be read as {_short(reader)}"
    elif rk == "array":
        yield from _check(reader["items"], writer["items"], rnames, wnames, f"{path}[]", seen)
    elif rk == "map":
        yield from _check(reader["values"], writer["values"], rnames, wnames, f"{path}{{}}", seen)


def _check_record(
    reader: dict[str, Any],
    writer: dict[str, Any],
    rnames: _Names,
    wnames: _Names,
    path: str,
    seen: set[tuple[int, int]],
) -> Iterator[str]:
    if _short(reader) != _short(writer) and _short(writer) not in reader.get("aliases", []):
        yield f"{path}: record {_short(writer)} cannot be read as {_short(reader)}"
        return
    here = f"{path}.{_short(reader)}" if path else _short(reader)
    written = {f["name"]: f for f in writer["fields"]}
    for field in reader["fields"]:
        names = [field["name"], *field.get("aliases", [])]
        source = next((written[n] for n in names if n in written), None)
        if source is None:
            if "default" not in field:
                yield f"{here}.{field['name']}: new field has no default"
            continue
        yield from _check(field["type"], source["type"], rnames, wnames, f"{here}.{field['name']}", seen)


def resolution_errors(reader: Any, writer: Any) -> list[str]:
    """Why data written with ``writer`` cannot be read with ``reader`` (empty when it can)."""
    return list(_check(reader, writer, _Names(reader), _Names(writer), "", set()))


def backward_incompatibilities(new: Any, old: Any) -> list[str]:
    """BACKWARD: readers on ``new`` must read data written with ``old``."""
    return resolution_errors(new, old)


def incompatibilities(level: str, new: Any, previous: list[Any]) -> list[str]:
    """Check ``new`` against earlier versions (oldest first) under a Confluent compatibility level."""
    level = level.upper()
    if level not in LEVELS:
        raise ValueError(f"unknown compatibility level {level!r}; expected one of {', '.join(LEVELS)}")
    if level == "NONE" or not previous:
        return []
    against = previous if level.endswith("_TRANSITIVE") else previous[-1:]
    errors: list[str] = []
    for old in against:
        if level.startswith(("BACKWARD", "FULL")):
            errors += resolution_errors(new, old)
        if level.startswith(("FORWARD", "FULL")):
            errors += resolution_errors(old, new)
    return errors
