"""The shapes records take between Kafka and the processing stages."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from processors.pii.redact import redact_bytes, redact_text
from schemas.wire import AvroCodec
from streams.producer import OutRecord
from streams.topics import DEADLETTER

if TYPE_CHECKING:
    from faust.types import EventT


@dataclass(frozen=True, slots=True)
class InRecord:
    """A record as consumed: where it came from and its raw bytes."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def in_record(event: EventT[bytes]) -> InRecord:
    """The :class:`InRecord` of a Faust event (the stages are framework-free; agents hand them these)."""
    message = event.message
    return InRecord(message.topic, message.partition, message.offset, message.key, message.value)


def now_ms() -> int:
    return int(time.time() * 1000)


def dead_letter(
    codec: AvroCodec,
    record: InRecord,
    error_class: str,
    reason: str,
    stage: str,
    tenant_id: str | None = None,
    topic: str = DEADLETTER,
) -> OutRecord:
    """The DeadLetter for ``record``; its id derives from the source position, so replays do not add one.

    Nothing unmasked goes in: the value only as size, SHA-256 and a redacted preview; key and reason redacted
    (a reason may quote a field, and a malformed record never reached the masker).
    """
    value = record.value or b""
    key = redact_bytes(record.key, digit_runs=False).encode() if record.key is not None else None
    position = f"{record.topic}/{record.partition}/{record.offset}"
    if record.offset < 0:  # rejected before Kafka: identify by content instead
        position += "/" + hashlib.sha256(value).hexdigest()
    datum: dict[str, Any] = {
        "event_id": hashlib.sha256(position.encode()).hexdigest()[:32],
        "source_topic": record.topic,
        "source_partition": record.partition,
        "source_offset": record.offset,
        "original_key": key,
        "original_value": None,
        "original_size": len(value),
        "original_sha256": hashlib.sha256(value).hexdigest(),
        "preview": redact_bytes(value),
        "error_class": error_class,
        "reason": redact_text(reason, digit_runs=False),
        "stage": stage,
        "tenant_id": redact_text(tenant_id, 200, digit_runs=False) if tenant_id is not None else None,
        "ts": now_ms(),
    }
    return OutRecord(topic, key, codec.encode(datum))
