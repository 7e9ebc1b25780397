"""The model registry's mirror on Kafka: every card state -> ``models.versions``, every promotion or rollback ->
``models.promoted``. The sink lands them in ClickHouse (``model_versions``, ``model_events``) and workers swap
models when a ``ModelPromoted`` arrives. Any process that changes the registry (the retrain agent, ``kefu models``)
uses it, so the embedded store's single owner stays the only writer of ClickHouse.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient

from jobs.registry import ModelCard, version_record
from kefu.settings import Settings
from schemas.catalog import schema
from schemas.wire import AvroCodec
from streams import topics
from streams.producer import BatchProducer, OutRecord

__all__ = ["TopicRegistryMirror"]


class TopicRegistryMirror:
    """A :class:`jobs.registry.RegistryStore` that publishes each change and waits until the broker has it."""

    def __init__(self, settings: Settings, client: SchemaRegistryClient, producer: BatchProducer) -> None:
        self._producer = producer
        self._versions_topic = settings.topic(topics.VERSIONS)
        self._promoted_topic = settings.topic(topics.PROMOTED)
        self._versions = AvroCodec(client, schema("ModelVersion"), f"{self._versions_topic}-value")
        self._promoted = AvroCodec(client, schema("ModelPromoted"), f"{self._promoted_topic}-value")

    def record_version(self, card: ModelCard) -> None:
        datum = version_record(card, int(time.time() * 1000))
        self._producer.deliver([OutRecord(self._versions_topic, card.model.encode(), self._versions.encode(datum))])

    def record_event(self, event: Mapping[str, Any]) -> None:
        value = self._promoted.encode(dict(event))
        self._producer.deliver([OutRecord(self._promoted_topic, str(event["model"]).encode(), value)])
