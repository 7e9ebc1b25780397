"""Rules of the Avro schema-resolution checker and the Confluent compatibility levels built on it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from schemas.compatibility import LEVELS, backward_incompatibilities, incompatibilities, resolution_errors


def record(*fields: dict[str, Any], name: str = "E", **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": list(fields), **extra}


def field(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


V1 = record(field("a", "int"))
V2 = record(field("a", "int"), field("b", "string", default=""))
V3 = record(field("a", "int"), field("b", "string", default=""), field("c", "long", default=0))


# -- fields ------------------------------------------------------------------------------------------------------


def test_adding_a_field_with_a_default_is_backward_compatible() -> None:
    assert backward_incompatibilities(V2, V1) == []


def test_adding_a_field_without_a_default_is_not_backward_compatible() -> None:
    new = record(field("a", "int"), field("b", "string"))
    assert backward_incompatibilities(new, V1) == ["E.b: new field has no default"]


def test_removing_a_field_is_backward_compatible_because_the_reader_ignores_it() -> None:
    assert backward_incompatibilities(record(field("a", "int")), record(field("a", "int"), field("b", "string"))) == []


def test_removing_a_field_without_default_breaks_old_readers() -> None:
    old = record(field("a", "int"), field("b", "string"))
    new = record(field("a", "int"))
    assert resolution_errors(old, new) == ["E.b: new field has no default"]


def test_renamed_field_is_found_through_its_alias() -> None:
    old = record(field("a", "int"))
    new = record(field("alpha", "int", aliases=["a"]))
    assert backward_incompatibilities(new, old) == []


# -- promotions --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("writer", "reader"),
    [
        ("int", "long"),
        ("int", "float"),
        ("int", "double"),
        ("long", "double"),
        ("float", "double"),
        ("string", "bytes"),
        ("bytes", "string"),
    ],
)
def test_avro_promotions_are_allowed(writer: str, reader: str) -> None:
    assert backward_incompatibilities(record(field("a", reader)), record(field("a", writer))) == []


@pytest.mark.parametrize(
    ("writer", "reader"),
    [("long", "int"), ("double", "float"), ("string", "int"), ("boolean", "int"), ("float", "long")],
)
def test_narrowing_or_unrelated_primitives_are_rejected(writer: str, reader: str) -> None:
    assert backward_incompatibilities(record(field("a", reader)), record(field("a", writer))) == [
        f"E.a: {writer} cannot be read as {reader}"
    ]


def test_logical_types_are_read_as_their_underlying_type() -> None:
    stamp = {"type": "long", "logicalType": "timestamp-millis"}
    assert backward_incompatibilities(record(field("ts", stamp)), record(field("ts", "long"))) == []
    assert backward_incompatibilities(record(field("ts", "int")), record(field("ts", stamp))) == [
        "E.ts: long cannot be read as int"
    ]


# -- enums -------------------------------------------------------------------------------------------------------


def enum(*symbols: str, **extra: Any) -> dict[str, Any]:
    return {"type": "enum", "name": "Channel", "symbols": list(symbols), **extra}


def test_adding_an_enum_symbol_is_backward_compatible() -> None:
    assert backward_incompatibilities(record(field("c", enum("web", "app"))), record(field("c", enum("web")))) == []


def test_removing_an_enum_symbol_without_a_default_is_rejected() -> None:
    errors = backward_incompatibilities(record(field("c", enum("web"))), record(field("c", enum("web", "app"))))
    assert errors == ["E.c: enum symbols ['app'] removed without a default"]


def test_removing_an_enum_symbol_is_allowed_when_the_reader_enum_has_a_default() -> None:
    new = record(field("c", enum("web", "api", default="api")))
    assert backward_incompatibilities(new, record(field("c", enum("web", "app", "api")))) == []


def test_renaming_an_enum_is_rejected() -> None:
    renamed = {"type": "enum", "name": "Medium", "symbols": ["web"]}
    errors = backward_incompatibilities(record(field("c", renamed)), record(field("c", enum("web"))))
    assert errors == ["E.c: enum Channel cannot be read as Medium"]


# -- unions ------------------------------------------------------------------------------------------------------


def test_widening_a_union_is_backward_compatible() -> None:
    old = record(field("a", ["null", "string"]))
    new = record(field("a", ["null", "string", "int"]))
    assert backward_incompatibilities(new, old) == []


def test_narrowing_a_union_is_rejected() -> None:
    old = record(field("a", ["null", "string", "int"]))
    new = record(field("a", ["null", "string"]))
    assert backward_incompatibilities(new, old) == ["E.a: writer type int matches no branch of the reader's union"]


def test_a_plain_type_may_become_a_nullable_union() -> None:
    assert backward_incompatibilities(record(field("a", ["null", "string"])), record(field("a", "string"))) == []


def test_a_nullable_union_may_not_become_a_plain_type() -> None:
    errors = backward_incompatibilities(record(field("a", "string")), record(field("a", ["null", "string"])))
    assert errors == ["E.a: null cannot be read as string"]


# -- nested types ------------------------------------------------------------------------------------------------


def test_new_required_field_in_a_nested_record_names_the_nested_path() -> None:
    inner_old = record(field("x", "int"), name="Inner")
    inner_new = record(field("x", "int"), field("y", "int"), name="Inner")
    errors = backward_incompatibilities(record(field("inner", inner_new)), record(field("inner", inner_old)))
    assert errors == ["E.inner.Inner.y: new field has no default"]


def test_nested_record_in_an_array_is_checked() -> None:
    old = record(field("xs", {"type": "array", "items": record(field("x", "long"), name="Item")}))
    new = record(field("xs", {"type": "array", "items": record(field("x", "int"), name="Item")}))
    assert backward_incompatibilities(new, old) == ["E.xs[].Item.x: long cannot be read as int"]


def test_array_item_promotion_is_allowed_and_narrowing_rejected() -> None:
    ints = record(field("xs", {"type": "array", "items": "int"}))
    longs = record(field("xs", {"type": "array", "items": "long"}))
    assert backward_incompatibilities(longs, ints) == []
    assert backward_incompatibilities(ints, longs) == ["E.xs[]: long cannot be read as int"]


def test_map_value_changes_are_checked() -> None:
    strings = record(field("m", {"type": "map", "values": "string"}))
    ints = record(field("m", {"type": "map", "values": "int"}))
    assert backward_incompatibilities(strings, ints) == ["E.m{}: int cannot be read as string"]


def test_array_cannot_become_a_map() -> None:
    old = record(field("m", {"type": "array", "items": "string"}))
    new = record(field("m", {"type": "map", "values": "string"}))
    assert backward_incompatibilities(new, old) == ["E.m: array cannot be read as map"]


def test_renaming_a_record_is_rejected_unless_aliased() -> None:
    old = record(field("a", "int"), name="Old")
    errors = backward_incompatibilities(record(field("a", "int"), name="New"), old)
    assert len(errors) == 1
    assert errors[0].endswith("record Old cannot be read as New")
    assert backward_incompatibilities(record(field("a", "int"), name="New", aliases=["Old"]), old) == []


def test_full_name_references_to_named_types_are_resolved() -> None:
    channel = {"type": "enum", "name": "Channel", "namespace": "kefu.v1", "symbols": ["web", "app"]}
    old = record(field("a", channel), field("b", "kefu.v1.Channel"), namespace="kefu.v1")
    narrowed = {**channel, "symbols": ["web"]}
    new = record(field("a", narrowed), field("b", "kefu.v1.Channel"), namespace="kefu.v1")
    assert backward_incompatibilities(old, old) == []
    assert backward_incompatibilities(new, old) != []


def test_short_and_full_name_references_to_the_same_type_are_equivalent() -> None:
    channel = {"type": "enum", "name": "Channel", "symbols": ["web", "app"]}
    short = record(field("a", channel), field("b", "Channel"), namespace="kefu.v1")
    full = record(field("a", channel), field("b", "kefu.v1.Channel"), namespace="kefu.v1")
    assert backward_incompatibilities(full, short) == []


def test_every_incompatible_field_is_reported() -> None:
    old = record(field("a", "long"), field("b", "long"))
    new = record(field("a", "int"), field("b", "int"))
    assert backward_incompatibilities(new, old) == [
        "E.a: long cannot be read as int",
        "E.b: long cannot be read as int",
    ]


def test_every_incompatible_field_is_reported_for_schemas_parsed_from_json() -> None:
    old = json.loads(json.dumps(record(field("a", "long"), field("b", "long"))))
    new = json.loads(json.dumps(record(field("a", "int"), field("b", "int"))))
    assert backward_incompatibilities(new, old) == [
        "E.a: long cannot be read as int",
        "E.b: long cannot be read as int",
    ]


def test_recursive_records_terminate() -> None:
    node = record(field("v", "int"), field("next", ["null", "Node"], default=None), name="Node")
    assert backward_incompatibilities(node, node) == []


# -- levels ------------------------------------------------------------------------------------------------------

# Adds a required field: cannot read V1 data, but V1 readers can read it (they ignore the field).
V_ADD_REQUIRED = record(field("a", "int"), field("d", "string"))
# Drops 'a' which V1 requires: V1 readers cannot read it, but it reads V1 data.
V_DROP_A = record(field("b", "string", default=""))


def test_level_none_accepts_anything() -> None:
    assert incompatibilities("NONE", record(field("a", "boolean")), [V1]) == []


@pytest.mark.parametrize("level", LEVELS)
def test_the_first_version_is_always_compatible(level: str) -> None:
    assert incompatibilities(level, V_ADD_REQUIRED, []) == []


def test_backward_rejects_a_new_required_field_and_forward_accepts_it() -> None:
    assert incompatibilities("BACKWARD", V_ADD_REQUIRED, [V1]) == ["E.d: new field has no default"]
    assert incompatibilities("FORWARD", V_ADD_REQUIRED, [V1]) == []
    assert incompatibilities("FULL", V_ADD_REQUIRED, [V1]) == ["E.d: new field has no default"]


def test_forward_rejects_dropping_a_required_field_and_backward_accepts_it() -> None:
    assert incompatibilities("BACKWARD", V_DROP_A, [V1]) == []
    assert incompatibilities("FORWARD", V_DROP_A, [V1]) == ["E.a: new field has no default"]
    assert incompatibilities("FULL", V_DROP_A, [V1]) == ["E.a: new field has no default"]


def test_full_accepts_adding_an_optional_field() -> None:
    assert incompatibilities("FULL", V3, [V1, V2]) == []


def test_non_transitive_levels_check_only_the_latest_version() -> None:
    # 'x' was int in v1, removed in v2 and comes back as a string in v3: fine against v2 alone.
    v1 = record(field("a", "int"), field("x", "int", default=0))
    v2 = record(field("a", "int"))
    v3 = record(field("a", "int"), field("x", "string", default=""))
    assert incompatibilities("BACKWARD", v3, [v1, v2]) == []
    assert incompatibilities("BACKWARD_TRANSITIVE", v3, [v1, v2]) == ["E.x: int cannot be read as string"]
    assert incompatibilities("FORWARD", v3, [v1, v2]) == []
    assert incompatibilities("FORWARD_TRANSITIVE", v3, [v1, v2]) == ["E.x: string cannot be read as int"]
    assert incompatibilities("FULL", v3, [v1, v2]) == []
    assert incompatibilities("FULL_TRANSITIVE", v3, [v1, v2]) == [
        "E.x: int cannot be read as string",
        "E.x: string cannot be read as int",
    ]


def test_level_names_are_case_insensitive() -> None:
    assert incompatibilities("backward", V_ADD_REQUIRED, [V1]) == ["E.d: new field has no default"]


def test_unknown_level_raises() -> None:
    with pytest.raises(ValueError, match="unknown compatibility level 'SIDEWAYS'"):
        incompatibilities("SIDEWAYS", V1, [V1])
