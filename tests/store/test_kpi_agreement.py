"""The online KPI aggregator (Faust, KpiSnapshot) and the offline `kpi_hourly` view agree on the same records."""

from __future__ import annotations

from typing import Any

from clickhouse_connect.driver.client import Client

from processors.kpi.aggregator import KpiAggregator
from streams.store.sink import ClickHouseSink
from tests.store.conftest import T0, enriched, feedback, handoff, reply

HOUR_MS = 3_600_000
SHARED = (
    "customer_messages", "conversations", "bot_replies", "handoffs", "unknown_intent", "negative_emotion",
    "csat_count", "csat_sum", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms",
)  # fmt: skip
ANGRY = {"polarity": "negative", "score": -0.8, "emotion": "angry", "emotion_confidence": 0.9}
ANXIOUS = {"polarity": "neutral", "score": 0.0, "emotion": "anxious", "emotion_confidence": 0.9}


def records() -> list[tuple[str, str, dict[str, Any]]]:
    """(table, record type, datum): three channels, several intents, replies, a hand-off, ratings."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    for i in range(30):
        conversation = f"c{i % 7}"
        channel = ("web", "app", "wechat")[i % 3]
        intent = ("where_is_my_order", "return_refund", "unknown", None)[i % 4]
        sentiment = (ANGRY, ANXIOUS, None)[i % 3]
        message = enriched(
            f"m{i}", conversation, channel=channel, intent=intent, sentiment=sentiment, ts=T0 + i * 60_000
        )
        out.append(("events", "EnrichedEvent", message))
        if i % 2 == 0:
            out.append(
                (
                    "bot_replies",
                    "BotReply",
                    reply(
                        f"r{i}",
                        f"m{i}",
                        conversation,
                        channel=channel,
                        latency_ms=100 + 37 * i,
                        ts=T0 + i * 60_000 + 500,
                    ),
                )
            )
    out.append(("handoffs", "Handoff", handoff("h1", "c2", ts=T0 + 5 * 60_000)))
    out.append(("feedback", "Feedback", feedback("f1", "c1", csat=4, resolved=True, ts=T0 + 40 * 60_000)))
    out.append(("feedback", "Feedback", feedback("f2", "c3", csat=2, resolved=False, ts=T0 + 41 * 60_000)))
    return out


def online() -> dict[tuple[str, str, str], dict[str, Any]]:
    aggregator = KpiAggregator(window_ms=HOUR_MS)
    for _, record_type, datum in records():
        aggregator.add(record_type, datum, partition=0)
    snapshots = aggregator.close_windows(T0 + 10 * HOUR_MS)
    return {(s["tenant_id"], s["channel"], s["intent"]): s for s in snapshots}


def offline(store: Client) -> dict[tuple[str, str, str], dict[str, Any]]:
    sink = ClickHouseSink(store)
    for table, _, datum in records():
        sink.add(table, datum)
    sink.flush()
    rows = store.query_arrow("SELECT * FROM kpi_hourly").to_pylist()
    return {(r["tenant_id"], r["channel"], r["intent"]): r for r in rows}


def test_online_snapshots_and_the_offline_view_count_the_same(store: Client) -> None:
    live, stored = online(), offline(store)
    assert set(live) == set(stored)
    for key, snapshot in live.items():
        row = stored[key]
        for name in SHARED:
            assert snapshot[name] == row[name], f"{key} {name}: online {snapshot[name]} != offline {row[name]}"
