"""The drift agent: conversations.{enriched,replies,feedback} -> DriftMonitor per tenant -> models.retrain.

Records are decoded in batches and turned into metric observations (``processors.drift.signals``); a timer emits
the triggers whose merge window ended (``DriftMonitor.flush``). State lives in memory only (STACK.md: Faust table
recovery is unreliable on the embedded broker): after a restart the detectors warm up again, and trigger ids derive
from tenant, model, metric and event-time window, so a replayed stretch gives the same ids, which the sink and the
retrain agent (``FileRegistry.find_by_trigger``) both ignore.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import faust
from confluent_kafka.schema_registry import SchemaRegistryClient

from kefu.settings import Settings
from processors.drift import (
    DEFAULT_METRICS,
    DriftMonitor,
    DriftParams,
    MetricSpec,
    Signal,
    signals_from_enriched_batch,
    signals_from_feedback,
    signals_from_reply,
)
from processors.drift.signals import OovScorer
from schemas.catalog import schema
from schemas.wire import AvroCodec, DecodeError
from streams import metrics, topics
from streams.batch_agents import register_batch_agent, register_flush_timer
from streams.observe import ConsumerPositions
from streams.producer import BatchProducer, OutRecord
from streams.records import InRecord, dead_letter

__all__ = ["DriftStage", "drift_metrics", "drift_stage", "register_drift_agent"]

log = logging.getLogger(__name__)

SOURCES = (topics.ENRICHED, topics.REPLIES, topics.FEEDBACK)


@dataclass
class DriftStage:
    """Framework-free part of the agent: decode a batch into the monitor; emit due triggers as records."""

    monitor: DriftMonitor
    decoders: dict[str, tuple[str, AvroCodec]]  # topic name -> (record type, codec)
    triggers: AvroCodec
    trigger_topic: str
    deadletters: AvroCodec
    deadletter_topic: str
    oov: OovScorer | None = None
    undelivered: list[OutRecord] = field(default_factory=list)

    def consume(self, records: Sequence[InRecord]) -> list[OutRecord]:
        """Feed the batch to the monitor; returns the triggers due and dead letters for undecodable records."""
        rejected: list[OutRecord] = []
        enriched: list[dict[str, Any]] = []
        signals: list[Signal] = []
        for record in records:
            record_type, codec = self.decoders[record.topic]
            try:
                datum = codec.decode(record.value)
                if record_type == "EnrichedEvent":
                    enriched.append(datum)
                elif record_type == "BotReply":
                    signals += signals_from_reply(datum)
                else:
                    signals += signals_from_feedback(datum)
            except DecodeError as error:
                rejected.append(self._reject(record, error.error_class, error.reason))
            except (KeyError, TypeError, ValueError) as error:  # decodes, but not as the contract says
                rejected.append(self._reject(record, "processing_error", repr(error)))
        if enriched:
            signals += signals_from_enriched_batch(enriched, oov=self.oov)
        signals.sort(key=lambda signal: signal.ts)
        return [*self._records(self.monitor.update_many(signals)), *rejected]

    def close(self, now_ms: int) -> list[OutRecord]:
        """Triggers whose merge window ended by ``now_ms``, after any not delivered last time."""
        pending, self.undelivered = [*self.undelivered, *self._records(self.monitor.flush(now_ms))], []
        return pending

    def keep(self, records: list[OutRecord]) -> None:
        """Triggers that could not be delivered: returned first by the next :meth:`close`."""
        self.undelivered = [*records, *self.undelivered]

    def _records(self, triggers: list[dict[str, Any]]) -> list[OutRecord]:
        for trigger in triggers:
            metrics.DRIFT_TRIGGERS.labels(trigger["model"]).inc()
            log.warning(
                "drift: tenant %s model %s metric %s %s->%s (%s)",
                trigger["tenant_id"], trigger["model"], trigger["metric"], trigger["evidence"].get("mean_before"),
                trigger["evidence"].get("mean_after"), trigger["event_id"],
            )  # fmt: skip
        return [
            OutRecord(self.trigger_topic, (t["tenant_id"] or "").encode(), self.triggers.encode(t)) for t in triggers
        ]

    def _reject(self, record: InRecord, error_class: str, reason: str) -> OutRecord:
        metrics.DEAD_LETTERS.labels(error_class).inc()
        return dead_letter(self.deadletters, record, error_class, reason, "drift", None, self.deadletter_topic)


def drift_metrics(settings: Settings) -> dict[str, MetricSpec]:
    """The default metric specifications, with ``KEFU_DRIFT_WARMUP`` applied when set."""
    if settings.drift_warmup is None:
        return dict(DEFAULT_METRICS)
    return {name: replace(spec, warmup=settings.drift_warmup) for name, spec in DEFAULT_METRICS.items()}


def drift_stage(settings: Settings, client: SchemaRegistryClient, oov: OovScorer | None) -> DriftStage:
    """The stage configured from settings: debounce windows, warm-up and the OOV scorer."""
    decoders: dict[str, tuple[str, AvroCodec]] = {}
    for name in SOURCES:
        record_type, topic = topics.RECORD_OF_TOPIC[name], settings.topic(name)
        decoders[topic] = (record_type, AvroCodec(client, schema(record_type), f"{topic}-value"))
    params = DriftParams(
        cooldown_ms=int(settings.drift_cooldown_s * 1000), merge_window_ms=int(settings.drift_merge_window_s * 1000)
    )
    return DriftStage(
        monitor=DriftMonitor(drift_metrics(settings), params),
        decoders=decoders,
        triggers=AvroCodec(client, schema("RetrainTrigger"), f"{settings.topic(topics.RETRAIN)}-value"),
        trigger_topic=settings.topic(topics.RETRAIN),
        deadletters=AvroCodec(client, schema("DeadLetter"), f"{settings.topic(topics.DEADLETTER)}-value"),
        deadletter_topic=settings.topic(topics.DEADLETTER),
        oov=oov,
    )


def register_drift_agent(
    app: faust.App,
    settings: Settings,
    client: SchemaRegistryClient,
    producer: BatchProducer,
    positions: ConsumerPositions,
    oov: OovScorer | None,
) -> DriftStage:
    """Add the ``drift`` agent and its trigger-flushing timer to ``app``; returns the stage."""
    from streams.records import now_ms

    stage = drift_stage(settings, client, oov)
    source = app.topic(*stage.decoders, key_type=bytes, value_type=bytes)
    register_batch_agent(app, source, "drift", stage.consume, settings, producer, positions)
    register_flush_timer(
        app,
        "drift-flush-triggers",
        settings.drift_flush_interval_s,
        lambda: stage.close(now_ms()),
        stage.keep,
        producer,
        "drift triggers",
    )

    return stage
