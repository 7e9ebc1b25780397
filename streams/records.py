"""The shapes records take between Kafka and the processing stages."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from schemas.wire import AvroCodec
from streams.producer import OutRecord
from streams.topics import DEADLETTER

if TYPE_CHECKING:
    from faust.types import EventT

MAX_DEADLETTER_VALUE_BYTES = 512 * 1024


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
    """The DeadLetter for ``record``; its id derives from the source position, so replays do not add one."""
    value = record.value or b""
    position = f"{record.topic}/{record.partition}/{record.offset}"
    if record.offset < 0:  # rejected before Kafka: identify by content instead
        position += "/" + hashlib.sha256(value).hexdigest()
    datum: dict[str, Any] = {
        "event_id": hashlib.sha256(position.encode()).hexdigest()[:32],
        "source_topic": record.topic,
        "source_partition": record.partition,
        "source_offset": record.offset,
        "original_key": record.key,
        "original_value": value[:MAX_DEADLETTER_VALUE_BYTES],
        "original_size": len(value),
        "error_class": error_class,
        "reason": reason[:2000],
        "stage": stage,
        "tenant_id": tenant_id,
        "ts": now_ms(),
    }
    return OutRecord(topic, record.key, codec.encode(datum))
