"""Benchmarks of the store: ``kefu bench sink`` (Avro records -> chDB rows/s) and ``kefu bench kpi``."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from clickhouse_connect.driver.client import Client

from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from streams.store.connection import connect
from streams.store.migrations import apply_migrations
from streams.store.rollup import refresh_rollup
from streams.store.sink import ClickHouseSink
from streams.store.synthetic import SyntheticPlan

#: The KPI queries the benchmark times; docs/queries.sql has them with explanations.
KPI_QUERIES: dict[str, str] = {
    "daily_kpis_per_tenant": """
SELECT toDate(hour) AS day, tenant_id, sum(customer_messages) AS messages, sum(conversations) AS n_conversations,
       sum(contained_conversations) / sum(conversations) AS containment_rate,
       sum(handoffs) / sum(conversations) AS handoff_rate,
       sum(resolved_conversations) / sum(conversations) AS fcr_rate,
       sum(csat_sum) / nullIf(sum(csat_count), 0) AS csat_mean
FROM kpi_hourly_rollup FINAL GROUP BY day, tenant_id ORDER BY day, tenant_id""",
    "tenant_week_hourly_latency": """
SELECT hour, channel, sum(bot_replies) AS replies, max(latency_p95_ms) AS worst_intent_p95_ms
FROM kpi_hourly_rollup FINAL
WHERE tenant_id = 'tenant-3' AND hour >= '2026-11-08 00:00:00' AND hour < '2026-11-15 00:00:00'
GROUP BY hour, channel ORDER BY hour, channel""",
    "intents_by_handoff_rate": """
SELECT intent, sum(handoffs) / sum(conversations) AS handoff_rate, sum(conversations) AS n_conversations
FROM kpi_hourly_rollup FINAL WHERE intent != '' GROUP BY intent ORDER BY handoff_rate DESC LIMIT 10""",
    "negative_and_unknown_by_channel": """
SELECT channel, sum(negative_emotion) / sum(customer_messages) AS negative_rate,
       sum(unknown_intent) / sum(customer_messages) AS unknown_intent_rate
FROM kpi_hourly_rollup FINAL GROUP BY channel ORDER BY channel""",
    "latency_quantiles_raw_one_day": """
SELECT tenant_id, quantilesExactInclusive(0.5, 0.95, 0.99)(latency_ms) AS p50_p95_p99
FROM bot_replies FINAL WHERE ts >= '2026-11-10 00:00:00' AND ts < '2026-11-11 00:00:00'
GROUP BY tenant_id ORDER BY tenant_id""",
}


@contextmanager
def scratch_store(dsn: str | None) -> Iterator[Client]:
    """The given store, or a fresh chDB directory that is removed afterwards."""
    if dsn:
        client = connect(dsn)
        apply_migrations(client)
        yield client
        return
    with tempfile.TemporaryDirectory(prefix="kefu-bench-") as folder:
        client = connect(f"chdb://{folder}")
        apply_migrations(client)
        try:
            yield client
        finally:
            client.close()


def enriched_events(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """``n`` realistic EnrichedEvent records (masked text, tags, a PII entity, sentiment)."""
    base = 1_795_000_000_000
    return [
        {
            "event_id": f"bench-{seed}-{i}",
            "conversation_id": f"conv-{seed}-{i // 4}",
            "tenant_id": f"tenant-{i % 10}",
            "channel": ("web", "app", "wechat", "email", "phone", "api")[i % 6],
            "user_id": f"user-{i % 5000}",
            "role": "customer" if i % 2 == 0 else "bot",
            "text": f"第{i}条：我的手机号是[PHONE_1]，订单什么时候发货？",
            "ts": base + i * 10,
            "locale": "zh-CN",
            "metadata": {"source": "bench"},
            "pii_entities": [{"type": "PHONE", "start": 6, "end": 17, "placeholder": "[PHONE_1]"}],
            "intent": f"intent_{i % 40}",
            "intent_confidence": 0.87,
            "intents": [{"label": f"intent_{i % 40}", "confidence": 0.87}],
            "sentiment": {"polarity": "neutral", "score": 0.1, "emotion": "anxious", "emotion_confidence": 0.6},
            "model_versions": {"intent": "default-1", "sentiment": "default-1"},
            "enriched_ts": base + i * 10 + 5,
        }
        for i in range(n)
    ]


def bench_sink(events: int, batch_rows: int, dsn: str | None = None) -> dict[str, Any]:
    """Avro-encoded EnrichedEvents decoded and written through ClickHouseSink.

    Reports the sink itself (``add`` + ``flush``: Arrow conversion and insert) and the whole path with the Avro
    decode every consumer pays; wall and process CPU time (on a busy machine wall time is longer).
    """
    codec = AvroCodec(registry_client("mock://bench"), schema("EnrichedEvent"))
    payloads = [codec.encode(e) for e in enriched_events(events)]
    with scratch_store(dsn) as client:
        sink = ClickHouseSink(client, max_rows=batch_rows, max_delay_s=3600)
        wall = {"decode": 0.0, "sink": 0.0}
        cpu = {"decode": 0.0, "sink": 0.0}
        for start in range(0, len(payloads), batch_rows):
            t0, c0 = time.perf_counter(), time.process_time()
            records = [codec.decode(p) for p in payloads[start : start + batch_rows]]
            t1, c1 = time.perf_counter(), time.process_time()
            for record in records:
                sink.add("events", record)
            sink.flush()
            wall["decode"] += t1 - t0
            cpu["decode"] += c1 - c0
            wall["sink"] += time.perf_counter() - t1
            cpu["sink"] += time.process_time() - c1
        stored = client.query("SELECT count() FROM events FINAL").result_rows[0][0]
    return {
        "events": events,
        "batch_rows": batch_rows,
        "stored": stored,
        "sink_rows_per_s": round(events / wall["sink"]),
        "sink_rows_per_cpu_s": round(events / cpu["sink"]),  # process CPU, chDB's threads included
        "with_avro_decode_rows_per_s": round(events / (wall["sink"] + wall["decode"])),
        "with_avro_decode_rows_per_cpu_s": round(events / (cpu["sink"] + cpu["decode"])),
        "wall_s": {k: round(v, 3) for k, v in wall.items()},
        "cpu_s": {k: round(v, 3) for k, v in cpu.items()},
    }


def bench_kpi(events: int, repeat: int = 3, dsn: str | None = None, exact: bool = False) -> dict[str, Any]:
    """Generate ``events`` records, refresh the rollup, then time each KPI query (median of ``repeat``)."""
    plan = SyntheticPlan(events)
    result: dict[str, Any] = {"events": events}
    with scratch_store(dsn) as client:
        started = time.perf_counter()
        for statement in plan.statements():
            client.command(statement)
        result["generate_s"] = round(time.perf_counter() - started, 2)
        counts = {t: client.query(f"SELECT count() FROM {t}").result_rows[0][0] for t in SyntheticPlan.TABLES}
        result["rows"] = counts
        result["rows_total"] = sum(counts.values())
        started = time.perf_counter()
        refresh_rollup(client, plan.start_ms, plan.start_ms + plan.days * 86_400_000 + 3_600_000)
        result["rollup_refresh_s"] = round(time.perf_counter() - started, 2)
        middle = plan.start_ms + plan.days * 86_400_000 // 2
        started = time.perf_counter()
        refresh_rollup(client, middle - 2 * 3_600_000, middle + 5_000)  # what the sink does every few seconds
        result["rollup_refresh_sink_window_s"] = round(time.perf_counter() - started, 3)
        queries = dict(KPI_QUERIES)
        if exact:
            queries["daily_kpis_per_tenant_exact_view"] = KPI_QUERIES["daily_kpis_per_tenant"].replace(
                "kpi_hourly_rollup FINAL", "kpi_hourly"
            )
        timings: dict[str, float] = {}
        for name, sql in queries.items():
            runs = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                client.query(sql)
                runs.append(time.perf_counter() - t0)
            timings[name] = round(statistics.median(runs), 3)
        result["query_s"] = timings
    return result
