"""The Confluent wire format codec: round trips, interop with confluent-kafka's serdes, and why decoding fails."""

from __future__ import annotations

import json
import struct
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

from schemas.catalog import AvroSchema, parse_schema, schema
from schemas.wire import AvroCodec, DecodeError, registry_client

TS_MS = 1795248000123


@pytest.fixture
def client() -> SchemaRegistryClient:
    return registry_client(f"mock://wire-{uuid.uuid4()}")


@pytest.fixture
def codec(client: SchemaRegistryClient) -> AvroCodec:
    return AvroCodec(client, schema("ConversationEvent"))


def conversation_event(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": "e1",
        "conversation_id": "c1",
        "tenant_id": "acme",
        "channel": "wechat",
        "user_id": "u1",
        "role": "customer",
        "text": "我的订单还没到 where is my order",
        "ts": TS_MS,
        "locale": "zh-CN",
        "metadata": {"page": "/orders"},
        "attachments": [{"url": "s3://m/1.jpg", "mime_type": "image/jpeg", "name": "1.jpg", "size_bytes": 2048}],
    }
    base.update(overrides)
    return base


def feedback() -> dict[str, Any]:
    return {
        "event_id": "f1",
        "conversation_id": "c1",
        "tenant_id": "acme",
        "reply_id": None,
        "message_id": None,
        "user_id": "u1",
        "source": "customer",
        "csat": 5,
        "thumbs": "up",
        "resolved": True,
        "corrected_intent": None,
        "comment": None,
        "ts": TS_MS,
    }


def decode_error(codec: AvroCodec, data: bytes | None) -> DecodeError:
    with pytest.raises(DecodeError) as caught:
        codec.decode(data)
    return caught.value


# -- round trips and interop -------------------------------------------------------------------------------------


def test_encode_then_decode_returns_the_same_datum(codec: AvroCodec) -> None:
    datum = conversation_event()
    assert codec.decode(codec.encode(datum)) == datum


def test_encoded_record_is_framed_with_magic_byte_and_registered_schema_id(codec: AvroCodec) -> None:
    data = codec.encode(conversation_event())
    magic, schema_id = struct.unpack(">bI", data[:5])
    assert magic == 0
    assert schema_id == codec.schema_id
    registered = codec.client.get_schema(schema_id)
    assert json.loads(registered.schema_str or "") == schema("ConversationEvent").json


def test_schema_is_registered_under_the_topic_name_strategy_subject(codec: AvroCodec) -> None:
    codec.encode(conversation_event())
    assert codec.client.get_subjects() == ["conversations.inbound-value"]


def test_timestamps_stay_integers(codec: AvroCodec) -> None:
    decoded = codec.decode(codec.encode(conversation_event()))
    assert decoded["ts"] == TS_MS
    assert type(decoded["ts"]) is int


def test_our_decoder_reads_confluent_avro_serializer_output(client: SchemaRegistryClient, codec: AvroCodec) -> None:
    serializer = AvroSerializer(client, schema("ConversationEvent").text)
    context = SerializationContext("conversations.inbound", MessageField.VALUE)
    datum = conversation_event()
    theirs = serializer(datum, context)
    assert theirs is not None
    assert theirs[0] == 0
    assert codec.decode(theirs) == datum
    # Same Avro body byte for byte; only the schema id in the header may differ.
    assert theirs[5:] == codec.encode(datum)[5:]


def test_confluent_avro_deserializer_reads_our_output(client: SchemaRegistryClient, codec: AvroCodec) -> None:
    deserializer = AvroDeserializer(client)
    context = SerializationContext("conversations.inbound", MessageField.VALUE)
    datum = conversation_event()
    theirs = deserializer(codec.encode(datum), context)
    assert theirs is not None
    # confluent-kafka applies logical types; Kefu keeps epoch milliseconds.
    assert theirs["ts"] == datetime.fromtimestamp(TS_MS / 1000, tz=UTC)
    assert {**theirs, "ts": TS_MS} == datum


# -- why decoding fails ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, b""])
def test_empty_value_is_undecodable(codec: AvroCodec, value: bytes | None) -> None:
    error = decode_error(codec, value)
    assert (error.error_class, error.reason) == ("undecodable", "empty value")


@pytest.mark.parametrize("value", [b'{"event_id": "e1"}', b"\x01\x00\x00\x00\x01abc", b"\x00\x00\x01"])
def test_value_without_magic_byte_and_schema_id_is_undecodable(codec: AvroCodec, value: bytes) -> None:
    error = decode_error(codec, value)
    assert error.error_class == "undecodable"
    assert "magic byte" in error.reason


def test_unknown_schema_id_is_reported(codec: AvroCodec) -> None:
    body = codec.encode(conversation_event())[5:]
    error = decode_error(codec, struct.pack(">bI", 0, 4242) + body)
    assert error.error_class == "unknown_schema"
    assert "4242" in error.reason


@pytest.mark.parametrize("body", [b"\xff" * 11, bytes(range(200, 255)), b"\x01"])
def test_garbage_body_is_undecodable(codec: AvroCodec, body: bytes) -> None:
    header = codec.encode(conversation_event())[:5]
    assert decode_error(codec, header + body).error_class == "undecodable"


def test_truncated_body_is_undecodable(codec: AvroCodec) -> None:
    data = codec.encode(conversation_event())
    assert decode_error(codec, data[:-3]).error_class == "undecodable"


def test_trailing_bytes_are_undecodable(codec: AvroCodec) -> None:
    error = decode_error(codec, codec.encode(conversation_event()) + b"\x00\x00")
    assert (error.error_class, error.reason) == ("undecodable", "2 trailing bytes")


def test_invalid_utf8_inside_a_string_is_its_own_class(codec: AvroCodec) -> None:
    data = codec.encode(conversation_event(event_id="ab"))
    bad = data.replace(b"\x04ab", b"\x04\xff\xfe", 1)
    assert bad != data
    assert decode_error(codec, bad).error_class == "invalid_utf8"


def test_record_of_another_type_is_wrong_schema(client: SchemaRegistryClient, codec: AvroCodec) -> None:
    data = AvroCodec(client, schema("Feedback")).encode(feedback())
    error = decode_error(codec, data)
    assert error.error_class == "wrong_schema"
    assert "kefu.v1.Feedback" in error.reason


def _schema_without(name: str, field_name: str) -> AvroSchema:
    reduced = schema(name).json
    reduced["fields"] = [f for f in reduced["fields"] if f["name"] != field_name]
    text = json.dumps(reduced)
    return AvroSchema(name=name, text=text, parsed=parse_schema(text))


def test_older_compatible_writer_schema_decodes_with_defaults(client: SchemaRegistryClient, codec: AvroCodec) -> None:
    old = AvroCodec(client, _schema_without("ConversationEvent", "attachments"), subject="legacy-value")
    written = conversation_event()
    del written["attachments"]
    data = old.encode(written)
    assert old.schema_id != codec.schema_id
    decoded = codec.decode(data)
    assert decoded == {**written, "attachments": None}
    assert type(decoded["ts"]) is int


def test_incompatible_writer_schema_of_the_same_record_is_wrong_schema(
    client: SchemaRegistryClient, codec: AvroCodec
) -> None:
    changed = schema("ConversationEvent").json
    for f in changed["fields"]:
        if f["name"] == "text":
            f["type"] = "int"
    text = json.dumps(changed)
    other = AvroCodec(client, AvroSchema("ConversationEvent", text, parse_schema(text)), subject="odd-value")
    error = decode_error(codec, other.encode(conversation_event(text=7)))
    assert error.error_class == "wrong_schema"
    assert "ConversationEvent.text" in error.reason


class _CountingClient:
    """Wraps a mock registry client, counting get_schema calls; optionally failing them like an unwell server."""

    def __init__(self, inner: SchemaRegistryClient, status: int | None = None) -> None:
        self.inner = inner
        self.status = status
        self.lookups = 0

    def register_schema(self, subject: str, schema_: Schema) -> int:
        registered: int = self.inner.register_schema(subject, schema_)
        return registered

    def get_schema(self, schema_id: int) -> Schema:
        self.lookups += 1
        if self.status is not None:
            raise SchemaRegistryError(self.status, 50001, "registry unavailable")
        found: Schema = self.inner.get_schema(schema_id)
        return found


def test_unknown_schema_id_is_looked_up_only_once(client: SchemaRegistryClient) -> None:
    counting = _CountingClient(client)
    codec = AvroCodec(counting, schema("ConversationEvent"))  # type: ignore[arg-type]
    for _ in range(3):
        assert decode_error(codec, struct.pack(">bI", 0, 999) + b"\x00").error_class == "unknown_schema"
    assert counting.lookups == 1


def test_registry_server_error_is_raised_not_dead_lettered(client: SchemaRegistryClient) -> None:
    unwell = _CountingClient(client, status=503)
    codec = AvroCodec(unwell, schema("ConversationEvent"))  # type: ignore[arg-type]
    data = struct.pack(">bI", 0, 1) + b"\x00"
    for _ in range(2):
        with pytest.raises(SchemaRegistryError):
            codec.decode(data)
    assert unwell.lookups == 2  # transient failures are not cached
