"""JSON -> Avro datum conversion: field paths in errors, friendly forms, defaults and the way back."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.catalog import schema
from schemas.json_codec import FieldError, from_json, to_json

TS_MS = 1795248000000  # 2026-11-21T08:00:00Z


def event(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": "e1",
        "conversation_id": "c1",
        "tenant_id": "acme",
        "channel": "web",
        "user_id": "u1",
        "role": "customer",
        "text": "你好",
        "ts": TS_MS,
    }
    base.update(overrides)
    return base


def conversation(value: Any) -> dict[str, Any]:
    return from_json(value, schema("ConversationEvent").json)


def error_of(value: Any, record: str = "ConversationEvent") -> FieldError:
    with pytest.raises(FieldError) as caught:
        from_json(value, schema(record).json)
    return caught.value


def dead_letter(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": "d1",
        "source_topic": "conversations.inbound",
        "source_partition": 0,
        "source_offset": 7,
        "error_class": "undecodable",
        "reason": "x",
        "ts": TS_MS,
    }
    base.update(overrides)
    return base


# -- errors name the field ---------------------------------------------------------------------------------------


def test_error_in_a_nested_array_item_names_the_full_path() -> None:
    error = error_of(event(attachments=[{"url": "https://x/1.jpg"}]))
    assert error.path == "attachments[0].mime_type"
    assert error.message == "required field is missing"
    assert str(error) == "attachments[0].mime_type: required field is missing"


def test_error_in_a_later_array_item_names_its_index() -> None:
    good = {"url": "u", "mime_type": "image/png"}
    error = error_of(event(attachments=[good, {**good, "size_bytes": "big"}]))
    assert error.path == "attachments[1].size_bytes"


def test_error_in_a_nested_record_inside_a_union_names_the_path() -> None:
    reply = {
        "event_id": "r1",
        "in_reply_to": "e1",
        "conversation_id": "c1",
        "tenant_id": "acme",
        "channel": "web",
        "text": "",
        "confidence": 0.5,
        "latency_ms": 10,
        "model_profile": "fast",
        "handoff": {"reason": "bored"},
        "ts": TS_MS,
    }
    error = error_of(reply, "BotReply")
    assert error.path == "handoff.reason"


def test_error_in_a_map_value_names_the_key() -> None:
    assert error_of(event(metadata={"page": 3})).path == "metadata.page"


def test_missing_required_field_is_reported() -> None:
    value = event()
    del value["user_id"]
    error = error_of(value)
    assert (error.path, error.message) == ("user_id", "required field is missing")


def test_unknown_field_is_rejected() -> None:
    error = error_of(event(colour="red"))
    assert (error.path, error.message) == ("colour", "unknown field")


def test_non_object_record_is_rejected_at_the_root() -> None:
    error = error_of(["not", "an", "object"])
    assert error.path == "$"
    assert "expected an object" in error.message


def test_wrong_type_names_expected_and_actual_type() -> None:
    assert str(error_of(event(event_id=1))) == "event_id: expected string, got int"


def test_enum_error_lists_the_allowed_symbols() -> None:
    error = error_of(event(channel="fax"))
    assert error.path == "channel"
    assert error.message == "'fax' is not one of web, app, wechat, email, phone, api"


# -- timestamps --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-21T08:00:00Z",
        "2026-11-21T16:00:00+08:00",
        "2026-11-21T03:00:00-05:00",
        "2026-11-21T08:00:00",  # naive means UTC
        "2026-11-21T08:00:00.000Z",
        TS_MS,
        float(TS_MS),
        datetime(2026, 11, 21, 8, tzinfo=UTC),
    ],
)
def test_timestamp_accepts_iso_strings_and_epoch_millis(value: Any) -> None:
    assert conversation(event(ts=value))["ts"] == TS_MS


def test_timestamp_keeps_milliseconds() -> None:
    assert conversation(event(ts="2026-11-21T08:00:00.123Z"))["ts"] == TS_MS + 123


@pytest.mark.parametrize("value", ["yesterday", True, None, [1]])
def test_timestamp_rejects_other_values(value: Any) -> None:
    assert error_of(event(ts=value)).path == "ts"


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 1e30, -1e300])
def test_timestamp_beyond_a_long_is_a_field_error_not_an_encoder_crash(value: Any) -> None:
    # found by fuzzing POST /v1/events: fastavro raised OverflowError while encoding, a 500
    error = error_of(event(ts=value))
    assert (error.path, "out of range" in error.message) == ("ts", True)
    assert conversation(event(ts=2**63 - 1))["ts"] == 2**63 - 1


# -- numbers -----------------------------------------------------------------------------------------------------


def test_int_accepts_its_bounds_and_rejects_values_beyond() -> None:
    assert from_json(dead_letter(source_partition=2**31 - 1), schema("DeadLetter").json)["source_partition"] == (
        2**31 - 1
    )
    error = error_of(dead_letter(source_partition=2**31), "DeadLetter")
    assert (error.path, error.message) == ("source_partition", f"{2**31} is out of range for int")
    assert error_of(dead_letter(source_partition=-(2**31) - 1), "DeadLetter").path == "source_partition"


def test_long_accepts_values_beyond_int() -> None:
    datum = from_json(dead_letter(source_offset=2**40), schema("DeadLetter").json)
    assert datum["source_offset"] == 2**40


def test_bool_is_not_accepted_as_int() -> None:
    error = error_of(dead_letter(source_partition=True), "DeadLetter")
    assert (error.path, error.message) == ("source_partition", "expected int, got bool")


def test_float_is_not_accepted_as_int() -> None:
    assert error_of(dead_letter(source_partition=1.5), "DeadLetter").message == "expected int, got float"


def test_int_is_accepted_as_float() -> None:
    reply_schema = schema("BotReply").json
    reply = {
        "event_id": "r1",
        "in_reply_to": "e1",
        "conversation_id": "c1",
        "tenant_id": "acme",
        "channel": "web",
        "text": "ok",
        "confidence": 1,
        "latency_ms": 10,
        "model_profile": "fast",
        "ts": TS_MS,
    }
    datum = from_json(reply, reply_schema)
    assert datum["confidence"] == 1.0
    assert isinstance(datum["confidence"], float)


# -- unions and defaults -----------------------------------------------------------------------------------------


def test_null_is_accepted_for_a_nullable_union() -> None:
    assert conversation(event(attachments=None))["attachments"] is None


def test_plain_value_is_accepted_for_a_nullable_union() -> None:
    datum = conversation(event(attachments=[{"url": "u", "mime_type": "image/png", "size_bytes": 12}]))
    assert datum["attachments"] == [{"url": "u", "mime_type": "image/png", "name": None, "size_bytes": 12}]


def test_null_for_a_required_plain_field_is_rejected() -> None:
    assert str(error_of(event(text=None))) == "text: expected string, got null"


def test_null_for_a_union_without_null_is_rejected() -> None:
    union_schema = {"type": "record", "name": "U", "fields": [{"name": "v", "type": ["string", "int"]}]}
    with pytest.raises(FieldError) as caught:
        from_json({"v": None}, union_schema)
    assert str(caught.value) == "v: may not be null"


def test_value_matching_no_branch_of_a_multi_branch_union_reports_each_branch() -> None:
    union_schema = {"type": "record", "name": "U", "fields": [{"name": "v", "type": ["null", "string", "int"]}]}
    assert from_json({"v": 3}, union_schema) == {"v": 3}
    with pytest.raises(FieldError) as caught:
        from_json({"v": 1.5}, union_schema)
    assert caught.value.path == "v"
    assert "expected string, got float" in caught.value.message
    assert "expected int, got float" in caught.value.message


def test_defaults_are_filled_for_absent_fields() -> None:
    datum = conversation(event())
    assert datum["locale"] == "zh-CN"
    assert datum["metadata"] == {}
    assert datum["attachments"] is None


def test_given_values_override_defaults() -> None:
    datum = conversation(event(locale="en-US", metadata={"page": "/help"}))
    assert (datum["locale"], datum["metadata"]) == ("en-US", {"page": "/help"})


# -- bytes and the way back --------------------------------------------------------------------------------------


def test_bytes_are_decoded_from_base64() -> None:
    encoded = base64.b64encode(b"\x00\xffhello").decode()
    datum = from_json(dead_letter(original_value=encoded), schema("DeadLetter").json)
    assert datum["original_value"] == b"\x00\xffhello"


def test_invalid_base64_is_rejected() -> None:
    error = error_of(dead_letter(original_value="not base64!"), "DeadLetter")
    assert (error.path, error.message) == ("original_value", "expected base64-encoded bytes")


def test_to_json_writes_bytes_as_base64_and_datetimes_as_utc_iso() -> None:
    naive = datetime(2026, 11, 21, 8)  # noqa: DTZ001 - a naive datetime is read as UTC
    out = to_json({"b": b"hi", "t": datetime(2026, 11, 21, 8, 0, 0, 123000, tzinfo=UTC), "n": [naive, 5]})
    assert out == {"b": "aGk=", "t": "2026-11-21T08:00:00.123Z", "n": ["2026-11-21T08:00:00.000Z", 5]}


def test_to_json_then_from_json_round_trips_a_dead_letter() -> None:
    dead_letter_schema = schema("DeadLetter").json
    datum = from_json(dead_letter(original_value=base64.b64encode(b"\x00raw").decode()), dead_letter_schema)
    assert from_json(to_json(datum), dead_letter_schema) == datum


def test_to_json_then_from_json_round_trips_a_conversation_event() -> None:
    datum = conversation(event(attachments=[{"url": "u", "mime_type": "text/plain", "name": "a.txt"}]))
    assert conversation(to_json(datum)) == datum
