"""Migrations, Arrow rows and idempotent writes on a real (in-memory) chDB store."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest
from clickhouse_connect.driver.client import Client

from schemas.catalog import schema
from streams.store.migrations import MigrationError, apply_migrations, available_migrations
from streams.store.retention import apply_text_retention, text_ttl_expression
from streams.store.rows import RowConverter
from streams.store.sink import ClickHouseSink
from streams.store.tables import TABLES
from tests.store.conftest import T0, enriched, feedback, handoff, reply


def _count(store: Client, sql: str) -> int:
    return int(store.query(sql).result_rows[0][0])


def test_every_record_field_has_its_column_and_no_raw_dead_letter_bytes_are_stored(store: Client) -> None:
    for table in TABLES:
        converter = RowConverter(schema(table.record), table.excluded)
        found = store.query(f"SELECT name FROM system.columns WHERE database = 'kefu' AND table = '{table.name}'")
        columns = [name for (name,) in found.result_rows]
        assert sorted([*converter.column_names, "inserted_at"]) == sorted(columns), table.name
    dead_letter_columns = store.query(
        "SELECT name FROM system.columns WHERE database = 'kefu' AND table = 'dead_letters'"
    ).result_rows
    assert ("original_value",) not in dead_letter_columns and ("original_key",) not in dead_letter_columns


def test_migrations_are_recorded_once_and_an_edited_migration_is_refused(store: Client) -> None:
    assert apply_migrations(store) == []  # the fixture applied them; a restart applies nothing
    versions = [v for (v,) in store.query("SELECT version FROM schema_migrations FINAL ORDER BY version").result_rows]
    assert versions == [m.version for m in available_migrations()]
    edited = [m if m.version != 1 else type(m)(1, m.name, m.sql + "\n-- edited") for m in available_migrations()]
    with pytest.raises(MigrationError, match="edited after it was applied"):
        apply_migrations(store, edited)


def test_rows_flatten_nested_records_into_columns_and_arrays_of_records_into_nested(store: Client) -> None:
    record = enriched(
        "e1",
        "c1",
        pii_entities=[{"type": "PHONE", "start": 3, "end": 14, "placeholder": "[PHONE_1]"}],
        intents=[{"label": "where_is_my_order", "confidence": 0.9}],
        sentiment={"polarity": "negative", "score": -0.7, "emotion": "angry", "emotion_confidence": 0.8},
        metadata={"order": "A1"},
    )
    sink = ClickHouseSink(store)
    sink.add("events", record)
    sink.add("events", enriched("e2", "c1"))
    sink.flush()
    rows = store.query(
        "SELECT event_id, sentiment_emotion, sentiment_score, `pii_entities.placeholder`, metadata['order'], ts "
        "FROM events ORDER BY event_id"
    ).result_rows
    assert rows[0][:5] == ("e1", "angry", pytest.approx(-0.7), ["[PHONE_1]"], "A1")
    assert rows[1][1:5] == (None, None, [], "")
    stamp = rows[0][5] if rows[0][5].tzinfo else rows[0][5].replace(tzinfo=dt.UTC)  # chDB answers naive UTC
    assert int(stamp.timestamp() * 1000) == T0


def test_the_same_batch_twice_and_replays_in_other_batches_do_not_double_count(store: Client) -> None:
    batch = [enriched(f"e{i}", f"c{i % 3}") for i in range(100)]
    sink = ClickHouseSink(store)
    for _ in range(2):  # a retried flush: the deduplication token drops the second insert
        for record in batch:
            sink.add("events", record)
        sink.flush()
    assert _count(store, "SELECT count() FROM events") == 100
    for record in [*batch[::-1][:40], enriched("e-new", "c9")]:  # a replay, batched differently
        sink.add("events", record)
    sink.flush()
    assert _count(store, "SELECT count() FROM events FINAL") == 101
    store.command("OPTIMIZE TABLE events FINAL")
    assert _count(store, "SELECT count() FROM events") == 101


def test_dead_letters_are_stored_without_their_raw_bytes(store: Client) -> None:
    sink = ClickHouseSink(store)
    sink.add(
        "dead_letters",
        {
            "event_id": "d1",
            "source_topic": "conversations.inbound",
            "source_partition": 0,
            "source_offset": 7,
            "original_key": b"c1",
            "original_value": "手机 13800138000".encode(),
            "original_size": 20,
            "error_class": "invalid_event",
            "reason": "text too long",
            "stage": "validate",
            "tenant_id": None,
            "ts": T0,
        },
    )
    sink.flush()
    assert store.query("SELECT original_size, error_class FROM dead_letters").result_rows == [(20, "invalid_event")]


def test_sink_is_due_by_size_and_by_age() -> None:
    now = [0.0]
    sink = ClickHouseSink(None, max_rows=3, max_delay_s=0.5, clock=lambda: now[0])  # type: ignore[arg-type]
    assert not sink.due()
    sink.add("events", enriched("e1", "c1"))
    assert not sink.due()
    now[0] = 0.6
    assert sink.due()
    sink.drop()
    for i in range(3):
        sink.add("events", enriched(f"e{i}", "c1"))
    assert sink.due()


def test_a_failed_flush_keeps_the_records_for_the_retry(store: Client) -> None:
    class Failing:
        def __init__(self) -> None:
            self.calls = 0

        def insert_arrow(self, table: str, arrow: pa.Table, settings: dict[str, Any]) -> None:
            self.calls += 1
            raise ConnectionError("server gone")

    sink = ClickHouseSink(Failing())  # type: ignore[arg-type]
    sink.add("events", enriched("e1", "c1"))
    with pytest.raises(ConnectionError):
        sink.flush()
    assert sink.buffered == 1
    sink.client = store
    sink.flush()
    assert sink.buffered == 0 and _count(store, "SELECT count() FROM events") == 1


def test_text_retention_sets_a_per_tenant_ttl_once(store: Client) -> None:
    expression = text_ttl_expression(365, {"acme": 30})
    changed = apply_text_retention(store, expression)
    assert "events.text" in changed and "handoffs.transcript.text" in changed
    assert apply_text_retention(store, expression) == []
    create = store.query(
        "SELECT create_table_query FROM system.tables WHERE database = 'kefu' AND name = 'events'"
    ).result_rows[0][0]
    assert "`text` String TTL toDateTime(ts) + toIntervalDay(multiIf(tenant_id = 'acme', 30, 365))" in create


def test_records_of_each_kind_land_in_their_table(store: Client) -> None:
    sink = ClickHouseSink(store)
    sink.add("events", enriched("m1", "c1"))
    sink.add("bot_replies", reply("r1", "m1", "c1", citations=[{"source": "faq", "chunk_id": "1", "title": None,
                                                                  "score": 0.5}]))  # fmt: skip
    sink.add("handoffs", handoff("h1", "c1", transcript=[{"role": "customer", "text": "人工", "ts": T0}]))
    sink.add("feedback", feedback("f1", "c1"))
    result = sink.flush()
    assert result.rows == {"events": 1, "bot_replies": 1, "handoffs": 1, "feedback": 1}
    assert result.span_ms == (T0, T0 + 3000)
