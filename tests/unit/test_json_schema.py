"""The JSON Schema of each contract record accepts exactly what the JSON codec accepts."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from schemas.catalog import RECORD_NAMES, schema
from schemas.json_codec import FieldError, from_json
from schemas.json_schema import record_json_schema

WRONG_TYPED = [{}, [], "x", 1, 1.5, True, None]


def sample(node: Any, named: dict[str, Any]) -> Any:
    """A valid JSON value for an Avro type: the first symbol, branch or a small value of each kind."""
    if isinstance(node, str):
        if node in named:
            return sample(named[node], named)
        return {"null": None, "boolean": True, "int": 7, "long": 7, "float": 0.5, "double": 0.5}.get(
            node, "aGk=" if node == "bytes" else "s"
        )
    if isinstance(node, list):
        return sample(next(branch for branch in node if branch != "null"), named)
    kind = node["type"]
    if isinstance(kind, dict | list):
        return sample(kind, named)
    if kind in ("record", "enum"):
        named[node["name"]] = node
    if kind == "record":
        return {field["name"]: sample(field["type"], named) for field in node["fields"]}
    if kind == "enum":
        return node["symbols"][0]
    if kind == "array":
        return [sample(node["items"], named)]
    if kind == "map":
        return {"k": sample(node["values"], named)}
    if node.get("logicalType") == "timestamp-millis":
        return "2026-11-21T08:00:00Z"
    return sample(kind, named)


def variants(record: dict[str, Any]) -> list[Any]:
    """The full sample, then for each field: left out, each wrongly typed value, and an unknown field."""
    full = sample(record, {})
    out: list[Any] = [full, {**full, "not_in_the_contract": 1}, [full], "event"]
    for field in record["fields"]:
        name = field["name"]
        out.append({key: value for key, value in full.items() if key != name})
        out.extend({**full, name: wrong} for wrong in WRONG_TYPED)
        if isinstance(full[name], list) and full[name]:
            out.append({**full, name: [copy.deepcopy(full[name][0]), "x"]})
    return out


def codec_accepts(value: Any, record: dict[str, Any]) -> bool:
    try:
        from_json(value, record)
    except FieldError:
        return False
    return True


@pytest.mark.parametrize("name", RECORD_NAMES)
def test_every_record_schema_is_valid_json_schema(name: str) -> None:
    Draft202012Validator.check_schema(record_json_schema(schema(name).json))


@pytest.mark.parametrize("name", RECORD_NAMES)
def test_the_json_schema_and_the_codec_agree_on_valid_and_broken_records(name: str) -> None:
    record = schema(name).json
    validator = Draft202012Validator(record_json_schema(record), format_checker=Draft202012Validator.FORMAT_CHECKER)
    cases = variants(record)
    disagreements = [
        (value, codec_accepts(value, record))
        for value in cases
        if validator.is_valid(value) != codec_accepts(value, record)
    ]
    assert not disagreements
    assert validator.is_valid(cases[0])  # the full sample itself is valid, so the cases test something


def test_fields_carry_the_contract_documentation_and_defaults() -> None:
    event = record_json_schema(schema("ConversationEvent").json)
    assert event["title"] == "ConversationEvent"
    assert event["properties"]["text"]["description"]
    assert event["properties"]["metadata"]["default"] == {}
    assert "locale" not in event["required"] and "ts" in event["required"]
    timestamp = event["properties"]["ts"]["anyOf"]
    assert [branch["type"] for branch in timestamp] == ["number", "string"]


def test_each_schema_is_a_fresh_copy_its_caller_may_refine() -> None:
    first = record_json_schema(schema("ConversationEvent").json)
    first["properties"]["ts"]["anyOf"][0]["minimum"] = 0  # as the API's event body does
    first["properties"]["text"]["maxLength"] = 10
    again = record_json_schema(schema("ConversationEvent").json)
    assert again["properties"]["ts"]["anyOf"][0]["minimum"] < 0
    assert "maxLength" not in again["properties"]["text"]
