"""The retrain agent: models.retrain -> RetrainJob (labels from ClickHouse as Arrow) -> registry -> models.promoted.

Training runs on a thread (``asyncio.to_thread``), so the worker's event loop keeps serving its other agents
while a candidate is trained and evaluated. Every candidate is registered with its metrics, lineage and trigger
id; the registry's mirror (:class:`streams.registry_mirror.TopicRegistryMirror`) publishes each card state on
``models.versions`` (stored in ``model_versions``) and each promotion on ``models.promoted`` (workers hot-swap).
A replayed trigger finds its version in the registry and does nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust
from confluent_kafka.schema_registry import SchemaRegistryClient

from jobs.registry import FileRegistry
from jobs.retrain import RetrainJob, RetrainParams, StoreTrainingData, TriggerRunner
from kefu.settings import Settings
from schemas.catalog import schema
from schemas.wire import AvroCodec, DecodeError
from streams import metrics, topics
from streams.producer import BatchProducer
from streams.records import dead_letter, in_record
from streams.registry_mirror import TopicRegistryMirror

__all__ = ["register_retrain_agent", "trigger_runner"]

log = logging.getLogger(__name__)


def _store_query(settings: Settings) -> Any:
    def query(sql: str, params: dict[str, Any]) -> Any:
        from streams.store import StoreClient

        with StoreClient.connect(settings) as store:  # per call: the store may come up after the worker
            return store.query(sql, params)

    return query


def trigger_runner(settings: Settings, client: SchemaRegistryClient, producer: BatchProducer) -> TriggerRunner:
    """The runner the agent uses: registry in ``KEFU_MODELS_DIR`` mirrored to Kafka, labels from the store."""
    registry = FileRegistry(settings.model_registry_dir, stores=[TopicRegistryMirror(settings, client, producer)])
    data = StoreTrainingData(_store_query(settings))
    params = RetrainParams(
        margin=settings.retrain_margin,
        min_class_size=settings.retrain_min_class_size,
        tolerance=settings.retrain_tolerance,
    )
    return TriggerRunner(
        make_job=lambda: RetrainJob(registry, data, params),
        min_interval_s=settings.retrain_min_interval_s,
        settle_s=settings.retrain_settle_s,
    )


def register_retrain_agent(
    app: faust.App, settings: Settings, client: SchemaRegistryClient, producer: BatchProducer
) -> TriggerRunner:
    """Add the ``retrain`` agent to ``app``; returns its runner."""
    runner = trigger_runner(settings, client, producer)
    topic = settings.topic(topics.RETRAIN)
    triggers = AvroCodec(client, schema("RetrainTrigger"), f"{topic}-value")
    deadletters = AvroCodec(client, schema("DeadLetter"), f"{settings.topic(topics.DEADLETTER)}-value")

    @app.agent(app.topic(topic, key_type=bytes, value_type=bytes), name="retrain")
    async def retrain(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            record = in_record(event)
            try:
                trigger = triggers.decode(record.value)
            except DecodeError as error:
                metrics.DEAD_LETTERS.labels(error.error_class).inc()
                letter = dead_letter(
                    deadletters, record, error.error_class, error.reason, "retrain", None,
                    settings.topic(topics.DEADLETTER),
                )  # fmt: skip
                await producer.deliver_async([letter])
                continue
            result = await asyncio.to_thread(runner.handle, trigger)
            metrics.RETRAINS.labels(result.action).inc()
            version = result.card.version if result.card else None
            log.warning("retrain %s for trigger %s: %s %s: %s", trigger["model"], trigger["event_id"],
                        result.action, version, result.reason)  # fmt: skip

    return runner
