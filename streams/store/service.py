"""``kefu sink``: consume the contract's topics into the store; in embedded mode also serve analyst queries.

At-least-once into an idempotent store: offsets are committed only after the records up to them are written.
Undecodable records are counted, logged and sent to the dead-letter topic (never a crash); the dead-letter
topic's own undecodable records are counted and skipped. After writing conversation records the sink refreshes
the KPI rollup for their hours on a thread of its own (every ``KEFU_STORE_KPI_REFRESH_S``).
"""

from __future__ import annotations

import gc
import logging
import secrets
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition
from prometheus_client import Counter, Histogram, start_http_server

from kefu.settings import Settings
from schemas.catalog import schema
from schemas.wire import AvroCodec, DecodeError, registry_client
from streams.producer import BatchProducer, OutRecord, producer_config
from streams.records import InRecord, dead_letter
from streams.store.client import DirectBackend, StoreClient, write_endpoint
from streams.store.connection import connect, open_store, store_dsn
from streams.store.rollup import RollupRefresher
from streams.store.server import QueryServer
from streams.store.sink import ClickHouseSink
from streams.store.tables import TABLE_OF_TOPIC
from streams.topics import DEADLETTER

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

log = logging.getLogger(__name__)
ROWS = Counter("kefu_sink_rows_written_total", "Rows written to the store", ["table"])
UNDECODABLE = Counter("kefu_sink_undecodable_total", "Records the sink could not decode", ["topic", "error_class"])
FLUSH_SECONDS = Histogram("kefu_sink_flush_seconds", "Time to write one flush", buckets=(0.01, 0.05, 0.1, 0.5, 1, 5))


@dataclass
class SinkStats:
    rows: dict[str, int] = field(default_factory=dict)
    undecodable: int = 0
    flushes: int = 0
    last_flush_ms: int | None = None
    assigned: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "undecodable": self.undecodable,
            "flushes": self.flushes,
            "last_flush_ms": self.last_flush_ms,
            "assigned": self.assigned,
        }


REBALANCED = frozenset(
    {
        KafkaError.UNKNOWN_MEMBER_ID,
        KafkaError.ILLEGAL_GENERATION,
        KafkaError.REBALANCE_IN_PROGRESS,
        KafkaError.FENCED_INSTANCE_ID,
    }
)
"""Commit errors that mean the group rebalanced without this consumer: its offsets are no longer its to commit."""


class SinkService:
    """One sink process: consumer, ClickHouseSink, dead letters, KPI rollup, and (embedded) the query server."""

    def __init__(self, settings: Settings, bootstrap: str, registry_url: str, ready_file: Path | None = None) -> None:
        self.settings = settings
        self.ready_file = ready_file
        self.stats = SinkStats()
        self.client = open_store(settings)
        self.sink = ClickHouseSink(
            self.client, max_rows=settings.sink_batch_rows, max_delay_s=settings.sink_flush_ms / 1000
        )
        registry = registry_client(registry_url)
        self.table_of_topic = {settings.topic(topic): table for topic, table in TABLE_OF_TOPIC.items()}
        self.codecs = {
            full: AvroCodec(registry, schema(TABLE_OF_TOPIC[topic].record), f"{full}-value")
            for topic in TABLE_OF_TOPIC
            for full in [settings.topic(topic)]
        }
        self.deadletter_topic = settings.topic(DEADLETTER)
        self.producer = BatchProducer(producer_config(bootstrap, settings.producer_linger_ms))
        self.dead: list[OutRecord] = []
        self.offsets: dict[tuple[str, int], int] = {}
        self.rollup = RollupRefresher(
            connect(store_dsn(settings)), settings.store_kpi_refresh_s, int(settings.store_kpi_lookback_h * 3_600_000)
        )
        self.running = True
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": settings.sink_group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "session.timeout.ms": int(settings.broker_session_timeout_s * 1000),
                "fetch.wait.max.ms": settings.consumer_fetch_wait_ms,
                "heartbeat.interval.ms": max(int(settings.broker_session_timeout_s * 1000 / 6), 500),
            }
        )
        self.server: QueryServer | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------
    def run(self) -> None:
        # Up to sink_batch_rows decoded records live in the buffer: default GC thresholds rescan them over and
        # over (measured: Avro decode 20% slower). Collect young objects less often; nothing here makes cycles.
        gc.set_threshold(50_000, 50, 100)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self.consumer.subscribe(list(self.table_of_topic), on_assign=self._on_assign, on_revoke=self._on_revoke)
        if self.settings.embedded_store:
            self._serve_queries()  # /metrics is served there too
        elif self.settings.metrics_port:
            start_http_server(self.settings.metrics_port)
        self.rollup.start()
        try:
            while self.running:
                self._poll_once()
            self._flush()
        finally:
            self.consumer.close()
            self.rollup.stop()
            if self.server is not None:
                self.server.stop()

    def _stop(self, *_: object) -> None:
        self.running = False

    def _serve_queries(self) -> None:
        dsn, timeout = store_dsn(self.settings), self.settings.store_query_timeout_s
        reader = connect(dsn, read_only=True, query_timeout_s=timeout)

        def open_scoped(scope: dict[str, str]) -> Client:
            return connect(dsn, read_only=True, query_timeout_s=timeout, scope=scope)

        token = secrets.token_urlsafe(32)
        self.server = QueryServer(
            StoreClient(DirectBackend(reader, open_scoped=open_scoped)),
            token,
            self.stats.as_dict,
            port=self.settings.store_query_port,
        ).start()
        write_endpoint(self.settings.data_dir, self.server.url, token)
        log.info("store query endpoint %s", self.server.url)

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.stats.assigned = True
        if self.ready_file is not None:
            self.ready_file.parent.mkdir(parents=True, exist_ok=True)
            self.ready_file.touch()
        log.info("sink assigned %d partitions", len(partitions))

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        try:
            self._flush()
        except Exception:
            log.exception("flush before rebalance failed; the records will be consumed again")
            self.sink.drop()
            self.dead.clear()
            self.offsets.clear()

    # -- the loop ------------------------------------------------------------------------------------------
    def _poll_once(self) -> None:
        messages = self.consumer.consume(num_messages=5000, timeout=0.05)
        for message in messages:
            error = message.error()
            if error is not None:
                if error.code() != KafkaError._PARTITION_EOF:
                    log.warning("consumer error: %s", error)
                continue
            self._take(message)
        if self.sink.due() or (self.dead and not self.sink.buffered) or (self.offsets and not self.sink.buffered):
            self._flush_with_retry()

    def _take(self, message: Message) -> None:
        topic, partition, offset = message.topic() or "", message.partition() or 0, message.offset() or 0
        self.offsets[(topic, partition)] = offset + 1
        try:
            datum = self.codecs[topic].decode(message.value())
        except DecodeError as error:
            self.stats.undecodable += 1
            UNDECODABLE.labels(topic, error.error_class).inc()
            log.warning("undecodable record %s/%d/%d: %s", topic, partition, offset, error)
            if topic != self.deadletter_topic:
                record = InRecord(topic, partition, offset, message.key(), message.value())
                codec = self.codecs[self.deadletter_topic]
                self.dead.append(
                    dead_letter(codec, record, error.error_class, error.reason, "store", None, self.deadletter_topic)
                )
            return
        table = self.table_of_topic[topic]
        if table.keeps(datum):
            self.sink.add(table.name, table.masked(datum))

    def _flush_with_retry(self) -> None:
        delay = 0.2
        while True:
            try:
                self._flush()
                return
            except Exception:
                log.exception("store flush failed; retrying in %.1fs (offsets not committed)", delay)
                if not self.running:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 10.0)

    def _flush(self) -> None:
        started = time.perf_counter()
        if self.sink.buffered:
            result = self.sink.flush()
            for rejected in result.rejected:
                log.warning("record rejected by the store (%s): %s", rejected.table, rejected.reason)
                self.stats.undecodable += 1
            for table, rows in result.rows.items():
                ROWS.labels(table).inc(rows)
                self.stats.rows[table] = self.stats.rows.get(table, 0) + rows
            if result.span_ms is not None:
                self.rollup.mark(*result.span_ms)
            self.stats.flushes += 1
            self.stats.last_flush_ms = int(time.time() * 1000)
        if self.dead:
            self.producer.deliver(self.dead)
            self.dead.clear()
        if self.offsets:
            self._commit([TopicPartition(t, p, o) for (t, p), o in self.offsets.items()])
            self.offsets.clear()
        FLUSH_SECONDS.observe(time.perf_counter() - started)

    def _commit(self, offsets: list[TopicPartition]) -> None:
        """Commit what was stored; if the group moved on meanwhile, leave the offsets to the next owner.

        A sink slower than the session timeout (paused, or a long flush) is no longer a member when it commits,
        and retrying cannot help: only ``consume`` rejoins the group. Its rows are stored; whoever owns the
        partitions next (this sink, once it polls again) re-reads them from the last committed offsets, and the
        tables keep each row once (insert deduplication tokens and ReplacingMergeTree keys, see .sink).
        """
        try:
            self.consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as error:
            if error.args[0].code() not in REBALANCED:
                raise
            log.warning("offsets not committed, the consumer group rebalanced meanwhile: %s", error.args[0])


def run_sink(settings: Settings, bootstrap: str, registry_url: str, ready_file: Path | None = None) -> None:
    """Run until SIGINT/SIGTERM; ``ready_file`` is touched once the sink has its partitions."""
    SinkService(settings, bootstrap, registry_url, ready_file).run()
