"""A confluent-kafka producer with an asyncio face: queue many records, then await that all are delivered.

Workers confirm delivery of a batch's outputs before the batch's input offsets are acknowledged, which is what
makes the pipeline at-least-once (and the sinks idempotent on event_id make it effectively-once).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OutRecord:
    topic: str
    key: bytes | None
    value: bytes
    headers: Sequence[tuple[str, bytes]] = field(default_factory=tuple)


class DeliveryFailed(RuntimeError):
    """Records could not be delivered within the retry budget."""


def producer_config(bootstrap: str, linger_ms: int, **extra: Any) -> dict[str, Any]:
    return {
        "bootstrap.servers": bootstrap,
        "linger.ms": linger_ms,
        "enable.idempotence": True,
        "acks": "all",
        "compression.type": "lz4",
        "batch.num.messages": 10_000,
        "queue.buffering.max.messages": 500_000,
        "message.max.bytes": 2_000_000,
        **extra,
    }


class BatchProducer:
    """Produce records and wait for their delivery, retrying failures with backoff."""

    def __init__(self, config: dict[str, Any], max_attempts: int = 8) -> None:
        self._producer = Producer(config)
        self._max_attempts = max_attempts

    def _produce(self, record: OutRecord, failed: list[tuple[OutRecord, KafkaError]]) -> None:
        def on_delivery(error: KafkaError | None, _: Message) -> None:
            if error is not None:
                failed.append((record, error))

        while True:
            try:
                self._producer.produce(
                    record.topic,
                    record.value,
                    record.key,
                    headers=list(record.headers),
                    on_delivery=on_delivery,
                )
                return
            except BufferError:  # local queue full: let librdkafka drain, then retry
                self._producer.poll(0.05)

    def send_soon(self, records: Sequence[OutRecord]) -> None:
        """Queue ``records`` without waiting: for ephemeral records (reply deltas) whose loss costs nothing but
        smoothness. They go out within the linger time, in order per partition; failures are only logged."""
        failed: list[tuple[OutRecord, KafkaError]] = []
        for record in records:
            self._produce(record, failed)
        self._producer.poll(0)  # serve delivery callbacks of earlier sends
        for record, error in failed:
            log.warning("ephemeral record to %s lost: %s", record.topic, error)

    def deliver(self, records: Sequence[OutRecord], timeout_s: float = 30.0) -> None:
        """Produce ``records`` and block until every one is acknowledged by the broker."""
        pending = list(records)
        for attempt in range(1, self._max_attempts + 1):
            failed: list[tuple[OutRecord, KafkaError]] = []
            for record in pending:
                self._produce(record, failed)
            remaining = self._producer.flush(timeout_s)
            if remaining == 0 and not failed:
                return
            if remaining and not failed:
                raise DeliveryFailed(f"{remaining} records still queued after {timeout_s}s")
            pending = [record for record, _ in failed]
            log.warning("attempt %d: %d records failed (%s); retrying", attempt, len(pending), failed[0][1])
            time.sleep(min(0.1 * 2**attempt, 5.0))
        raise DeliveryFailed(f"{len(pending)} records failed after {self._max_attempts} attempts")

    async def deliver_async(self, records: Sequence[OutRecord], timeout_s: float = 30.0) -> None:
        """``deliver`` on a thread, so the event loop keeps serving while librdkafka works."""
        if records:
            await asyncio.get_running_loop().run_in_executor(None, self.deliver, records, timeout_s)

    def close(self, timeout_s: float = 10.0) -> None:
        self._producer.flush(timeout_s)
