"""The Avro contract in ``schemas/avro``: structure, documentation, shared types and the compatibility policy."""

from __future__ import annotations

import io
import itertools
import json
import random
from collections.abc import Iterator
from typing import Any

import fastavro
import pytest

from schemas.catalog import (
    NAMESPACE,
    RECORD_NAMES,
    TOPIC_OF_RECORD,
    parse_schema,
    released_schema_text,
    released_versions,
    schema,
)
from schemas.compatibility import backward_incompatibilities

NAMED_KINDS = ("record", "enum", "fixed")


def _walk_named(node: Any) -> Iterator[dict[str, Any]]:
    """Every named type (record, enum, fixed) defined inline in a schema, the root included."""
    if isinstance(node, list):
        for branch in node:
            yield from _walk_named(branch)
    elif isinstance(node, dict):
        kind = node.get("type")
        if kind in NAMED_KINDS:
            yield node
            for field in node.get("fields", []):
                yield from _walk_named(field["type"])
        elif kind == "array":
            yield from _walk_named(node["items"])
        elif kind == "map":
            yield from _walk_named(node["values"])
        elif isinstance(kind, dict | list):
            yield from _walk_named(kind)


def _walk_fields(node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, field) for every field of every record, nested records included."""
    for named in _walk_named(node):
        if named["type"] == "record":
            for field in named["fields"]:
                yield f"{named['name']}.{field['name']}", field


def _field(name: str, field_name: str) -> dict[str, Any]:
    fields: list[dict[str, Any]] = schema(name).json["fields"]
    return next(f for f in fields if f["name"] == field_name)


def _strip_logical(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_logical(v) for k, v in node.items() if k != "logicalType"}
    if isinstance(node, list):
        return [_strip_logical(v) for v in node]
    return node


# -- structure -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RECORD_NAMES)
def test_every_record_schema_parses_and_is_a_kefu_v1_record(name: str) -> None:
    record = schema(name)
    assert record.parsed["type"] == "record"
    assert record.parsed["name"] == f"{NAMESPACE}.{name}"
    assert record.json["namespace"] == "kefu.v1"
    assert record.full_name == f"kefu.v1.{name}"
    assert record.topic == TOPIC_OF_RECORD[name]


def test_unknown_record_name_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="unknown record"):
        schema("NoSuchRecord")


@pytest.mark.parametrize("name", RECORD_NAMES)
def test_every_field_including_nested_records_has_a_doc(name: str) -> None:
    fields = list(_walk_fields(schema(name).json))
    assert fields, "a record without fields"
    undocumented = [path for path, field in fields if not str(field.get("doc", "")).strip()]
    assert undocumented == []


@pytest.mark.parametrize("name", RECORD_NAMES)
def test_every_record_has_a_doc(name: str) -> None:
    records = [n for n in _walk_named(schema(name).json) if n["type"] == "record"]
    assert [r["name"] for r in records if not str(r.get("doc", "")).strip()] == []


def test_shared_named_types_are_identical_in_every_file_that_repeats_them() -> None:
    definitions: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name in RECORD_NAMES:
        for named in _walk_named(schema(name).json):
            if named["type"] == "record" and named["name"] == name:
                continue
            definitions.setdefault(named["name"], []).append((name, named))
    repeated = {type_name for type_name, defs in definitions.items() if len(defs) > 1}
    # The test only means something if the types the contract repeats are actually found repeated.
    assert {"Channel", "Role", "HandoffReason"} <= repeated
    for type_name in repeated:
        first_file, first = definitions[type_name][0]
        for other_file, other in definitions[type_name][1:]:
            assert other == first, f"{type_name} differs between {first_file} and {other_file}"


def test_conversation_event_has_exactly_the_promised_fields() -> None:
    fields = {f["name"]: f for f in schema("ConversationEvent").json["fields"]}
    assert list(fields) == [
        "event_id",
        "conversation_id",
        "tenant_id",
        "channel",
        "user_id",
        "role",
        "text",
        "ts",
        "locale",
        "metadata",
        "attachments",
    ]
    for name in ("event_id", "conversation_id", "tenant_id", "user_id", "text", "locale"):
        assert fields[name]["type"] == "string", name
    assert fields["channel"]["type"]["type"] == "enum"
    assert fields["channel"]["type"]["symbols"] == ["web", "app", "wechat", "email", "phone", "api"]
    assert fields["role"]["type"]["type"] == "enum"
    assert fields["role"]["type"]["symbols"] == ["customer", "bot", "agent", "system"]
    assert fields["ts"]["type"] == {"type": "long", "logicalType": "timestamp-millis"}
    assert fields["metadata"]["type"] == {"type": "map", "values": "string"}
    assert fields["metadata"]["default"] == {}
    attachments = fields["attachments"]
    assert attachments["default"] is None
    assert attachments["type"][0] == "null"
    assert attachments["type"][1]["type"] == "array"
    assert [f["name"] for f in attachments["type"][1]["items"]["fields"]] == ["url", "mime_type", "name", "size_bytes"]


def test_bot_reply_handoff_is_a_nullable_structured_record() -> None:
    handoff = _field("BotReply", "handoff")
    null, decision = handoff["type"]
    assert null == "null"
    assert handoff["default"] is None
    assert decision["type"] == "record"
    reason = next(f for f in decision["fields"] if f["name"] == "reason")
    assert reason["type"]["name"] == "HandoffReason"
    assert "low_confidence" in reason["type"]["symbols"]


def test_dead_letter_keeps_original_bytes_source_position_and_reason() -> None:
    fields = {f["name"]: f["type"] for f in schema("DeadLetter").json["fields"]}
    assert fields["original_value"] == ["null", "bytes"]
    assert fields["original_key"] == ["null", "bytes"]
    assert fields["source_topic"] == "string"
    assert fields["source_partition"] == "int"
    assert fields["source_offset"] == "long"
    assert fields["error_class"] == "string"
    assert fields["reason"] == "string"


# -- the backward-compatibility policy ----------------------------------------------------------------------------


def test_there_is_at_least_one_released_version() -> None:
    versions = released_versions()
    assert versions
    assert versions == sorted(versions, key=lambda v: int(v.lstrip("v")))


def _newest_released(name: str) -> str:
    text = released_schema_text(released_versions()[-1], name)
    if text is None:
        pytest.skip(f"{name} is new since the last release; nothing to be compatible with")
    return text


@pytest.mark.parametrize("name", RECORD_NAMES)
def test_current_schema_is_backward_compatible_with_newest_release(name: str) -> None:
    released = json.loads(_newest_released(name))
    assert backward_incompatibilities(schema(name).json, released) == []


@pytest.mark.parametrize("name", RECORD_NAMES)
def test_every_release_is_backward_compatible_with_the_one_before(name: str) -> None:
    """The released history itself obeys the policy: a reader of any release reads everything written before it."""
    versions = released_versions()
    for older, newer in itertools.pairwise(versions):
        old_text, new_text = released_schema_text(older, name), released_schema_text(newer, name)
        if old_text is None or new_text is None:
            continue
        assert backward_incompatibilities(json.loads(new_text), json.loads(old_text)) == [], (older, newer)


def test_policy_check_catches_a_breaking_change_to_the_contract() -> None:
    """Guards the policy test itself: a new required field on ConversationEvent must be reported."""
    broken = schema("ConversationEvent").json
    broken["fields"].append({"name": "priority", "type": "int", "doc": "x"})
    released = json.loads(_newest_released("ConversationEvent"))
    assert backward_incompatibilities(broken, released) == ["ConversationEvent.priority: new field has no default"]


class _DatumMaker:
    """Random-ish datum for a schema, with values that survive float32 and JSON round trips."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.named: dict[str, Any] = {}

    def make(self, node: Any) -> Any:
        rng = self.rng
        if isinstance(node, list):
            return self.make(rng.choice(node))
        if isinstance(node, str):
            if node in self.named:
                return self.make(self.named[node])
            node = {"type": node}
        kind = node["type"]
        if isinstance(kind, dict | list):
            return self.make(kind)
        if kind in NAMED_KINDS:
            self.named[node["name"]] = node
            self.named[f"{NAMESPACE}.{node['name']}"] = node
        if kind == "record":
            return {f["name"]: self.make(f["type"]) for f in node["fields"]}
        if kind == "enum":
            return rng.choice(node["symbols"])
        if kind == "array":
            return [self.make(node["items"]) for _ in range(rng.randint(0, 3))]
        if kind == "map":
            return {f"k{i}": self.make(node["values"]) for i in range(rng.randint(0, 3))}
        simple: dict[str, Any] = {
            "null": lambda: None,
            "boolean": lambda: rng.random() < 0.5,
            "int": lambda: rng.randint(-(2**31), 2**31 - 1),
            "long": lambda: rng.randint(0, 2**62),
            "float": lambda: rng.choice([0.0, 0.25, 0.5, 1.0, -0.75]),
            "double": rng.random,
            "string": lambda: rng.choice(["", "你好", "refund 退款", "x" * rng.randint(1, 40)]),
            "bytes": lambda: rng.randbytes(rng.randint(0, 16)),
        }
        return simple[kind]()


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("name", RECORD_NAMES)
def test_data_written_with_released_schema_reads_with_current_schema(name: str, seed: int) -> None:
    """Independent cross-check of the checker with fastavro's own schema resolution."""
    released_json = json.loads(_newest_released(name))
    current_json = schema(name).json
    datum = _DatumMaker(seed).make(released_json)
    writer = parse_schema(json.dumps(_strip_logical(released_json)))
    reader = parse_schema(json.dumps(_strip_logical(current_json)))
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, writer, datum)
    buffer.seek(0)
    decoded: Any = fastavro.schemaless_reader(buffer, writer, reader)
    assert buffer.tell() == len(buffer.getvalue())
    released_fields = {f["name"] for f in released_json["fields"]}
    for field in current_json["fields"]:
        expected = datum[field["name"]] if field["name"] in released_fields else field["default"]
        assert decoded[field["name"]] == expected, field["name"]
