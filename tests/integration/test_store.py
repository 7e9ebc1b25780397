"""The store on the real embedded platform: `kefu produce` -> Faust -> sink -> chDB -> `kefu sql`."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.integration.conftest import Platform

pytestmark = pytest.mark.slow
N = 300


def _events(run: str) -> str:
    lines = [
        {
            "event_id": f"{run}-{i}",
            "conversation_id": f"{run}-conv-{i % 20}",
            "tenant_id": "acme",
            "channel": "web",
            "user_id": f"user-{i % 20}",
            "role": "customer",
            "text": f"第{i}条：我的快递什么时候到？",
            "ts": "2026-11-21T08:00:00Z",
        }
        for i in range(N)
    ]
    return "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)


def _count(platform: Platform, run: str) -> int | None:
    result = platform.kefu(
        "sql", "SELECT count() AS n FROM events FINAL WHERE event_id LIKE {p:String}", "-p", f"p={run}-%",
        "--format", "json",
    )  # fmt: skip
    if result.returncode != 0:
        return None
    return int(json.loads(result.stdout.splitlines()[0])["n"])


def _wait_for_count(platform: Platform, run: str, expected: int, timeout_s: float) -> tuple[int | None, float]:
    started = time.monotonic()
    seen = _count(platform, run)
    while seen != expected and time.monotonic() - started < timeout_s:
        time.sleep(0.2)
        seen = _count(platform, run)
    return seen, time.monotonic() - started


def test_produced_events_are_queryable_within_5_s_and_producing_them_again_does_not_double_count(
    platform: Platform,
) -> None:
    run = uuid.uuid4().hex[:8]
    produced = platform.kefu("produce", "--topic", "conversations.inbound", stdin=_events(run))
    assert produced.returncode == 0, produced.stderr
    seen, waited = _wait_for_count(platform, run, N, 5.0)
    assert seen == N, f"after {waited:.1f}s kefu sql counts {seen}"
    print(f"\n{N} events counted by kefu sql {waited:.1f}s after kefu produce returned")

    again = platform.kefu("produce", "--topic", "conversations.inbound", stdin=_events(run))
    assert again.returncode == 0, again.stderr
    time.sleep(3.0)  # the duplicates have been written by now (flushes are at most 1 s behind)
    raw = platform.kefu(
        "sql", "SELECT count() AS n FROM events WHERE event_id LIKE {p:String}", "-p", f"p={run}-%", "--format", "json"
    )
    assert _count(platform, run) == N
    assert int(json.loads(raw.stdout.splitlines()[0])["n"]) >= N  # the raw table may hold both copies until merged


def test_kefu_sql_refuses_writes_with_a_clear_message(platform: Platform) -> None:
    result = platform.kefu("sql", "DROP TABLE events")
    assert result.returncode == 2
    assert "refused" in result.stderr and "DROP" in result.stderr
    still = platform.kefu(
        "sql", "SELECT name, engine FROM system.tables WHERE database = 'kefu' AND name = 'events'", "--format", "csv"
    )
    assert still.returncode == 0
    assert still.stdout.splitlines() == ['"name","engine"', '"events","ReplacingMergeTree"']
    table = platform.kefu("sql", "SELECT 'acme' AS tenant_id, 3 AS n")
    assert table.stdout.splitlines() == ["tenant_id  n", "---------  -", "acme       3"]


def test_status_shows_the_store_and_export_writes_parquet(platform: Platform, tmp_path: Path) -> None:
    status = json.loads(platform.kefu("status", "--json").stdout)
    assert status["checks"]["store"] is True
    out = tmp_path / "events.parquet"
    result = platform.kefu("export", "events", "--since", "2026-11-01", "--out", str(out))
    assert result.returncode == 0, result.stderr
    exported = pq.read_table(out)
    assert exported.num_rows == json.loads(result.stdout)["rows"]
    assert "sentiment_polarity" in exported.column_names


def test_replies_reach_the_store_and_the_kpi_rollup_and_garbage_becomes_a_dead_letter(platform: Platform) -> None:
    from confluent_kafka import Producer

    run = uuid.uuid4().hex[:8]
    message = {
        "event_id": f"{run}-m", "conversation_id": f"{run}-c", "tenant_id": run, "channel": "app",
        "user_id": "u1", "role": "customer", "text": "退货怎么办？", "ts": "2026-11-21T09:10:00Z",
    }  # fmt: skip
    answer = {
        "event_id": f"{run}-r", "in_reply_to": f"{run}-m", "conversation_id": f"{run}-c", "tenant_id": run,
        "channel": "app", "text": "请在订单页申请退货。", "confidence": 0.9, "latency_ms": 420,
        "model_profile": "fast", "ts": "2026-11-21T09:10:02Z",
    }  # fmt: skip
    assert platform.kefu("produce", "--topic", "conversations.inbound", stdin=json.dumps(message)).returncode == 0
    assert platform.kefu("produce", "--topic", "conversations.replies", stdin=json.dumps(answer)).returncode == 0
    garbage = Producer({"bootstrap.servers": platform.status["kafka"]})
    garbage.produce("conversations.replies", value=b"not avro " + run.encode(), key=run.encode())
    garbage.flush(10)

    deadline, rows = time.monotonic() + 20, []
    while time.monotonic() < deadline and not rows:
        result = platform.kefu(
            "sql",
            "SELECT customer_messages, bot_replies, contained_conversations, latency_p50_ms "
            "FROM kpi_hourly_rollup FINAL WHERE tenant_id = {t:String} AND bot_replies > 0",
            "-p", f"t={run}", "--format", "json",
        )  # fmt: skip
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        time.sleep(0.5)
    assert rows == [{"customer_messages": 1, "bot_replies": 1, "contained_conversations": 1, "latency_p50_ms": 420.0}]

    # The sink and the KPI agent both read conversations.replies and dead-letter the garbage; both dead letters
    # carry the same event_id (derived from the record's position), so the store keeps one row for the record.
    deadline, dead = time.monotonic() + 10, []
    while time.monotonic() < deadline and not dead:
        found = platform.kefu(
            "sql",
            "SELECT error_class, source_topic FROM dead_letters FINAL WHERE original_size = {n:UInt64} "
            "AND stage IN ('store', 'kpi') AND ts >= now() - INTERVAL 5 MINUTE",
            "-p", f"n={len(b'not avro ' + run.encode())}", "--format", "json",
        )  # fmt: skip
        dead = [json.loads(line) for line in found.stdout.splitlines()]
        time.sleep(0.5)
    assert {"error_class": "undecodable", "source_topic": "conversations.replies"} in dead


def test_feedback_comments_produced_straight_to_kafka_are_masked_and_silent_replies_are_not_stored(
    platform: Platform,
) -> None:
    run = uuid.uuid4().hex[:8]
    feedback = {
        "event_id": f"{run}-f", "conversation_id": f"{run}-c", "tenant_id": "acme", "user_id": "u1",
        "source": "customer", "csat": 2, "comment": "没人回电话13812345678", "ts": "2026-11-21T09:10:00Z",
    }  # fmt: skip
    silent = {
        "event_id": f"{run}-s", "in_reply_to": f"{run}-m", "conversation_id": f"{run}-c", "tenant_id": "acme",
        "channel": "app", "text": "", "confidence": 0.0, "latency_ms": 3, "model_profile": "agent",
        "ts": "2026-11-21T09:10:01Z",
    }  # fmt: skip
    spoken = {**silent, "event_id": f"{run}-r", "text": "好的", "model_profile": "fast", "ts": "2026-11-21T09:10:02Z"}
    assert platform.kefu("produce", "--topic", "conversations.feedback", stdin=json.dumps(feedback)).returncode == 0
    replies = json.dumps(silent) + "\n" + json.dumps(spoken, ensure_ascii=False)
    assert platform.kefu("produce", "--topic", "conversations.replies", stdin=replies).returncode == 0

    def rows(sql: str) -> list[dict[str, object]]:
        deadline, found = time.monotonic() + 30, []
        while time.monotonic() < deadline and not found:
            result = platform.kefu("sql", sql, "-p", f"r={run}-%", "--format", "json")
            found = [json.loads(line) for line in result.stdout.splitlines()]
            time.sleep(0.5)
        return found

    assert rows("SELECT comment FROM feedback FINAL WHERE event_id LIKE {r:String}") == [
        {"comment": "没人回电话[PHONE_1]"}
    ]
    # the spoken reply was produced after the silent one: once it is stored, the silent one would be too
    assert rows("SELECT event_id FROM bot_replies FINAL WHERE event_id LIKE {r:String}") == [{"event_id": f"{run}-r"}]
