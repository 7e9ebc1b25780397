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
