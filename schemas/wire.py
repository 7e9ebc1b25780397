"""Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro binary) with fastavro.

Byte-compatible with ``confluent_kafka.schema_registry.avro.AvroSerializer`` / ``AvroDeserializer``; written
on fastavro directly because the stream's hot path needs the speed and because a dead letter needs to say
*why* a record was rejected (not framed, unknown schema id, another record type, bad bytes).

Timestamps stay integers (epoch milliseconds) inside Kefu: logical types are read as their underlying type.
"""

from __future__ import annotations

import io
import json
import struct
import threading
from typing import Any

import fastavro
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from schemas.catalog import NAMESPACE, AvroSchema
from schemas.compatibility import resolution_errors

MAGIC = 0
HEADER = struct.Struct(">bI")


class DecodeError(ValueError):
    """A record could not be decoded; ``error_class`` is what the dead letter records."""

    def __init__(self, error_class: str, reason: str) -> None:
        super().__init__(f"{error_class}: {reason}")
        self.error_class = error_class
        self.reason = reason


def _strip_logical_types(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_logical_types(v) for k, v in node.items() if k != "logicalType"}
    if isinstance(node, list):
        return [_strip_logical_types(v) for v in node]
    return node


def _plain_parsed(schema_json: dict[str, Any]) -> dict[str, Any]:
    # The write hint marks the result as parsed: without it fastavro parses the schema again on every
    # schemaless_writer / schemaless_reader call, which cost 60-80 % of each encode and decode.
    parsed = fastavro.parse_schema(_strip_logical_types(schema_json))
    if not isinstance(parsed, dict):
        raise ValueError("a record schema must be a JSON object")
    return parsed


def registry_client(url: str) -> SchemaRegistryClient:
    """A registry client; ``mock://`` URLs give confluent-kafka's in-process mock (unit tests only)."""
    if url.startswith("mock://"):
        return SchemaRegistryClient.new_client({"url": url})
    return SchemaRegistryClient({"url": url})


class AvroCodec:
    """Encode and decode one record type of the contract on one subject.

    Encoding registers the schema (once) and prefixes its id. Decoding accepts any registered writer schema of
    the same record that resolves to ours, so producers on an older compatible schema keep working.
    """

    def __init__(self, client: SchemaRegistryClient, schema: AvroSchema, subject: str | None = None) -> None:
        self.client = client
        self.schema = schema
        self.subject = subject or f"{schema.topic}-value"
        self._reader = _plain_parsed(schema.json)
        self._canonical = json.dumps(schema.json, sort_keys=True)
        self._schema_id: int | None = None
        # Schema ids are immutable, so failures are cached too: a flood of garbage costs one registry lookup.
        self._writers: dict[int, dict[str, Any] | DecodeError | None] = {}
        self._lock = threading.Lock()

    @property
    def schema_id(self) -> int:
        """Id of our schema in the registry, registering it on first use."""
        if self._schema_id is None:
            with self._lock:
                if self._schema_id is None:
                    self._schema_id = self.client.register_schema(self.subject, Schema(self.schema.text, "AVRO"))
        return self._schema_id

    def encode(self, datum: dict[str, Any]) -> bytes:
        out = io.BytesIO()
        out.write(HEADER.pack(MAGIC, self.schema_id))
        fastavro.schemaless_writer(out, self._reader, datum)
        return out.getvalue()

    def decode(self, data: bytes | None) -> dict[str, Any]:
        """Decode a framed record or raise DecodeError with the reason."""
        if not data:
            raise DecodeError("undecodable", "empty value")
        if len(data) < HEADER.size or data[0] != MAGIC:
            raise DecodeError("undecodable", "not Confluent wire format (missing magic byte 0 + schema id)")
        _, schema_id = HEADER.unpack_from(data)
        writer = self._writer(schema_id)
        body = io.BytesIO(data[HEADER.size :])
        try:
            datum = fastavro.schemaless_reader(body, writer or self._reader, None if writer is None else self._reader)
        except UnicodeDecodeError as error:
            raise DecodeError("invalid_utf8", f"a string is not valid UTF-8 ({error.reason})") from None
        except Exception as error:  # fastavro raises many types on garbage: EOFError, IndexError, ...
            raise DecodeError("undecodable", f"Avro body does not match schema {schema_id}: {error!r}") from None
        if not isinstance(datum, dict):
            raise DecodeError("undecodable", "Avro body is not a record")
        if body.tell() != len(data) - HEADER.size:
            raise DecodeError("undecodable", f"{len(data) - HEADER.size - body.tell()} trailing bytes")
        return datum

    def _writer(self, schema_id: int) -> dict[str, Any] | None:
        """The writer schema for an id: None when it is ours; DecodeError when it is not readable as ours."""
        if schema_id not in self._writers:
            try:
                self._writers[schema_id] = self._resolve_writer(schema_id)
            except DecodeError as error:
                self._writers[schema_id] = error
        writer = self._writers[schema_id]
        if isinstance(writer, DecodeError):
            raise writer
        return writer

    def _resolve_writer(self, schema_id: int) -> dict[str, Any] | None:
        try:
            registered = self.client.get_schema(schema_id)
        except SchemaRegistryError as error:
            if error.http_status_code != 404:
                raise  # the registry is unwell: transient, so the caller retries rather than dead-letters
            raise DecodeError("unknown_schema", f"schema id {schema_id} is not in the registry") from None
        text = registered.schema_str or ""
        writer_json = json.loads(text)
        expected = self.schema.full_name
        name = writer_json.get("name", "") if isinstance(writer_json, dict) else ""
        full = name if "." in name else f"{writer_json.get('namespace', NAMESPACE)}.{name}" if name else "?"
        if full != expected:
            raise DecodeError("wrong_schema", f"record is {full} (schema id {schema_id}); expected {expected}")
        if json.dumps(writer_json, sort_keys=True) == self._canonical:
            return None
        errors = resolution_errors(self.schema.json, writer_json)
        if errors:
            raise DecodeError("wrong_schema", f"schema id {schema_id} is not readable as {expected}: {errors[0]}")
        return _plain_parsed(writer_json)
