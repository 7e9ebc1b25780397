"""Turn JSON events into Avro records on a topic: the one path for ``kefu produce``, ``POST /v1/events`` and
the channel adapters. Validation is all-or-nothing per request, so a producer never has to work out which half
of a batch landed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from processors.validation import InvalidEvent, validate_event
from schemas.catalog import schema
from schemas.json_codec import FieldError, from_json
from schemas.wire import AvroCodec
from streams.producer import BatchProducer, OutRecord
from streams.topics import RECORD_OF_TOPIC


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int
    path: str
    message: str
    error_class: str = "invalid_field"

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "path": self.path,
            "message": self.message,
            "error_class": self.error_class,
        }


@dataclass(frozen=True, slots=True)
class Prepared:
    records: list[OutRecord]
    event_ids: list[str]
    rejections: list[Rejection]


class Ingestor:
    """Validates and encodes JSON objects for one topic, then delivers them."""

    def __init__(
        self,
        codec: AvroCodec,
        producer: BatchProducer,
        topic: str,
        *,
        max_text_chars: int,
        known_tenants: frozenset[str] | None = None,
    ) -> None:
        self.codec, self.producer, self.topic = codec, producer, topic
        self.max_text_chars, self.known_tenants = max_text_chars, known_tenants
        self._is_inbound = codec.schema.name == "ConversationEvent"

    @classmethod
    def for_topic(cls, topic: str, base_topic: str, client: Any, producer: BatchProducer, **limits: Any) -> Ingestor:
        """An ingestor for ``topic`` (``base_topic`` is its name without the deployment's prefix)."""
        if base_topic not in RECORD_OF_TOPIC:
            raise ValueError(f"unknown topic {base_topic!r}; known: {', '.join(sorted(RECORD_OF_TOPIC))}")
        record = schema(RECORD_OF_TOPIC[base_topic])
        return cls(AvroCodec(client, record, f"{topic}-value"), producer, topic, **limits)

    def prepare(self, items: Sequence[Any], tenant_scope: str = "*") -> Prepared:
        """Validate and encode; ``tenant_scope`` is the caller's tenant ('*' = any)."""
        records: list[OutRecord] = []
        ids: list[str] = []
        rejections: list[Rejection] = []
        for index, item in enumerate(items):
            try:
                datum = from_json(item, self.codec.schema.json)
            except FieldError as error:
                rejections.append(Rejection(index, f"[{index}].{error.path}", error.message))
                continue
            tenant = datum.get("tenant_id")
            if tenant_scope != "*" and tenant is not None and tenant != tenant_scope:
                rejections.append(
                    Rejection(index, f"[{index}].tenant_id", "not the caller's tenant", "forbidden_tenant")
                )
                continue
            if self._is_inbound:
                try:
                    validate_event(datum, max_text_chars=self.max_text_chars, known_tenants=self.known_tenants)
                except InvalidEvent as error:
                    field = error.reason.split(" ", 1)[0]
                    rejections.append(Rejection(index, f"[{index}].{field}", error.reason, error.error_class))
                    continue
            key = datum.get("conversation_id") or datum.get("event_id") or ""
            records.append(OutRecord(self.topic, str(key).encode(), self.codec.encode(datum)))
            ids.append(str(datum.get("event_id", "")))
        return Prepared(records, ids, rejections)

    def deliver(self, prepared: Prepared) -> None:
        self.producer.deliver(prepared.records)

    async def deliver_async(self, prepared: Prepared) -> None:
        await self.producer.deliver_async(prepared.records)
