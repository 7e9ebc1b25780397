"""The online KPI agent: conversations.{enriched,replies,handoffs,feedback} -> KpiAggregator -> kpi.snapshots.

Records are decoded and counted in batches (``take_events``); a timer closes windows by per-partition
watermark every ``KEFU_KPI_FLUSH_INTERVAL_S`` and delivers their snapshots in one batch. State lives in memory
only (STACK.md: Faust table recovery is unreliable on the embedded broker); after a restart the worker resumes
from its committed offsets and the aggregator's resume guard keeps it from overwriting windows the previous
incarnation emitted. docs/kpis.md and docs/decisions.md describe the loss window that leaves.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import faust
from confluent_kafka.schema_registry import SchemaRegistryClient

from kefu.settings import Settings
from processors.kpi import KpiAggregator, Outcome, Watermarks
from schemas.catalog import schema
from schemas.wire import AvroCodec, DecodeError
from streams import metrics, topics
from streams.batch_agents import register_batch_agent, register_flush_timer
from streams.observe import ConsumerPositions
from streams.producer import BatchProducer, OutRecord
from streams.records import InRecord, dead_letter

log = logging.getLogger(__name__)

SOURCES = (topics.ENRICHED, topics.REPLIES, topics.HANDOFFS, topics.FEEDBACK)
LATE_OUTCOMES = frozenset({Outcome.CORRECTED, Outcome.DROPPED, Outcome.BEFORE_RESUME})


@dataclass
class KpiStage:
    """Framework-free part of the agent: decode a batch into the aggregator; close windows into records."""

    aggregator: KpiAggregator
    watermarks: Watermarks
    decoders: dict[str, tuple[str, AvroCodec]]  # topic name -> (record type, codec)
    snapshots: AvroCodec
    snapshot_topic: str
    deadletters: AvroCodec
    deadletter_topic: str
    undelivered: list[OutRecord] = field(default_factory=list)

    def consume(self, records: Sequence[InRecord]) -> list[OutRecord]:
        """Count each record; returns dead letters for those that cannot be decoded."""
        rejected: list[OutRecord] = []
        for record in records:
            record_type, codec = self.decoders[record.topic]
            try:
                datum = codec.decode(record.value)
                outcome = self.aggregator.add(record_type, datum, record.partition, record.offset)
            except DecodeError as error:
                rejected.append(self._reject(record, error.error_class, error.reason))
                continue
            except (KeyError, TypeError, ValueError) as error:  # decodes, but not as the contract says
                rejected.append(self._reject(record, "processing_error", repr(error)))
                continue
            self.watermarks.observe(record.partition, int(datum["ts"]))
            if outcome in LATE_OUTCOMES:
                metrics.KPI_LATE_EVENTS.labels(outcome.value).inc()
            elif outcome is Outcome.DUPLICATE:
                metrics.KPI_DUPLICATES.inc()
        return rejected

    def _reject(self, record: InRecord, error_class: str, reason: str) -> OutRecord:
        metrics.DEAD_LETTERS.labels(error_class).inc()
        log.warning("dead letter %s/%d/%d: %s: %s", record.topic, record.partition, record.offset, error_class, reason)
        return dead_letter(self.deadletters, record, error_class, reason, "kpi", None, self.deadletter_topic)

    def close(self) -> list[OutRecord]:
        """Snapshot records of every window the watermarks have passed, after any not delivered last time."""
        marks = self.watermarks.current()
        snapshots = self.aggregator.close_windows(marks)
        metrics.KPI_OPEN_WINDOWS.set(self.aggregator.open_windows)
        if marks:
            metrics.KPI_WATERMARK_SECONDS.set(min(marks.values()) / 1000)
        records = [OutRecord(self.snapshot_topic, s["tenant_id"].encode(), self.snapshots.encode(s)) for s in snapshots]
        pending, self.undelivered = [*self.undelivered, *records], []
        return pending

    def keep(self, records: list[OutRecord]) -> None:
        """Snapshots that could not be delivered: returned first by the next :meth:`close`."""
        self.undelivered = [*records, *self.undelivered]

    def forget_unassigned(self, partitions: set[int]) -> None:
        gone = self.aggregator.partitions - partitions
        self.aggregator.forget_partitions(gone)
        self.watermarks.forget(gone)


def kpi_stage(settings: Settings, client: SchemaRegistryClient) -> KpiStage:
    """The stage configured from settings: window, lateness, horizon and lookup size."""
    decoders: dict[str, tuple[str, AvroCodec]] = {}
    for name in SOURCES:
        record_type, topic = topics.RECORD_OF_TOPIC[name], settings.topic(name)
        decoders[topic] = (record_type, AvroCodec(client, schema(record_type), f"{topic}-value"))
    return KpiStage(
        aggregator=KpiAggregator(
            window_ms=settings.kpi_window_s * 1000,
            correction_horizon_ms=settings.kpi_correction_horizon_s * 1000,
            lookup_capacity=settings.kpi_lookup_size,
        ),
        watermarks=Watermarks(int(settings.kpi_allowed_lateness_s * 1000)),
        decoders=decoders,
        snapshots=AvroCodec(client, schema("KpiSnapshot"), f"{settings.topic(topics.KPI_SNAPSHOTS)}-value"),
        snapshot_topic=settings.topic(topics.KPI_SNAPSHOTS),
        deadletters=AvroCodec(client, schema("DeadLetter"), f"{settings.topic(topics.DEADLETTER)}-value"),
        deadletter_topic=settings.topic(topics.DEADLETTER),
    )


def register_kpi_agent(
    app: faust.App,
    settings: Settings,
    client: SchemaRegistryClient,
    producer: BatchProducer,
    positions: ConsumerPositions,
) -> KpiStage:
    """Add the ``kpi`` agent and its window-closing timer to ``app``; returns the stage (for tests and metrics)."""
    stage = kpi_stage(settings, client)
    source = app.topic(*stage.decoders, key_type=bytes, value_type=bytes)
    register_batch_agent(app, source, "kpi", stage.consume, settings, producer, positions)
    register_flush_timer(
        app, "kpi-close-windows", settings.kpi_flush_interval_s, stage.close, stage.keep, producer, "KPI snapshots"
    )

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]
    async def reassigned(sender: Any, assigned: set[Any], **_: Any) -> None:
        stage.forget_unassigned({tp.partition for tp in assigned if tp.topic in stage.decoders})

    return stage
