"""The reference for benchmarks: a plain confluent-kafka consume -> process -> produce loop.

It runs the very same :class:`~streams.inbound.InboundStage` and enrichment chain as the Faust agent, with
the least framework possible around it, so ``kefu bench enrich`` can say how much Faust costs.
Run as ``python -m streams.bench.plain_loop`` with the worker's environment (KEFU_KAFKA_BOOTSTRAP, ...).
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

from confluent_kafka import Consumer

from kefu.settings import Settings, get_settings
from schemas.wire import registry_client
from streams import topics
from streams.enricher import build_inbound_stage
from streams.gc_tuning import tune_gc_for_streaming
from streams.producer import BatchProducer, producer_config
from streams.records import InRecord


def run(settings: Settings, ready_file: str | None = None) -> None:
    """Consume the inbound topic until SIGTERM; outputs are delivered before offsets are committed."""
    assert settings.kafka_bootstrap and settings.schema_registry_url, "needs KEFU_KAFKA_BOOTSTRAP and a registry"
    stage = build_inbound_stage(settings, registry_client(settings.schema_registry_url))
    tune_gc_for_streaming()  # as the Faust worker does
    producer = BatchProducer(producer_config(settings.kafka_bootstrap, settings.producer_linger_ms))
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap,
            "group.id": f"{settings.topic_prefix}plain-loop",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "session.timeout.ms": int(settings.broker_session_timeout_s * 1000),
            "fetch.wait.max.ms": settings.consumer_fetch_wait_ms,
        }
    )
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    joined = False

    def on_assign(*_: object) -> None:
        nonlocal joined
        joined = True

    consumer.subscribe([settings.topic(topics.INBOUND)], on_assign=on_assign)
    try:
        while not stopping:
            messages = consumer.consume(settings.worker_batch_size, settings.worker_batch_ms / 1000)
            if joined and ready_file:
                open(ready_file, "a").close()
                ready_file = None
            records = [
                InRecord(str(m.topic()), int(m.partition() or 0), int(m.offset() or 0), m.key(), m.value())
                for m in messages
                if m.error() is None
            ]
            if not records:
                continue
            producer.deliver(stage.process(records))
            consumer.commit(asynchronous=True)
    finally:
        consumer.close()


if __name__ == "__main__":
    run(get_settings(), sys.argv[1] if len(sys.argv) > 1 else None)
