"""`kefu sql` through the embedded store's owner, as an analyst runs it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client
from typer.testing import CliRunner

from kefu.cli import app
from kefu.settings import get_settings
from streams.store.client import DirectBackend, StoreClient, write_endpoint
from streams.store.connection import connect
from streams.store.server import QueryServer
from streams.store.sink import ClickHouseSink
from tests.store.conftest import MEMORY, enriched, reply

CUT = "SELECT event_id, substring(text, 1, 4) AS cut{more} FROM bot_replies FINAL ORDER BY event_id"


@pytest.fixture
def kefu(store: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The CLI against an owner serving the test's chDB store, found the way `kefu sql` finds it (store.json)."""
    server = QueryServer(StoreClient(DirectBackend(connect(MEMORY, read_only=True))), "tok", lambda: {"rows": {}})
    server.start()
    write_endpoint(tmp_path, server.url, "tok")
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("KEFU_CLICKHOUSE_DSN", raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()
    server.stop()


def _replies(store: Client) -> None:
    sink = ClickHouseSink(store)
    sink.add("events", enriched("m1", "c1"))
    sink.add("bot_replies", reply("r1", "m1", "c1", text="明天送达。"))
    sink.add("bot_replies", reply("r2", "m1", "c1", text="ok, tomorrow"))
    sink.flush()


@pytest.mark.parametrize("output", ["table", "json", "csv"])
def test_text_cut_inside_a_character_is_shown_with_a_replacement_character(
    store: Client, kefu: CliRunner, output: str
) -> None:
    _replies(store)
    more = "" if output == "csv" else ", [substring(text, 1, 2)] AS cuts"  # CSV has no arrays
    result = kefu.invoke(app, ["sql", CUT.format(more=more), "--format", output])
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "明\ufffd" in result.stdout  # bytes 1-4: 明 and the first byte of 天
    assert "ok, " in result.stdout  # the rest of the answer is still there
    if output == "json":
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        assert rows == [
            {"event_id": "r1", "cut": "明\ufffd", "cuts": ["\ufffd"]},
            {"event_id": "r2", "cut": "ok, ", "cuts": ["ok"]},
        ]


def test_csv_of_an_array_column_is_refused_with_a_message_not_a_traceback(store: Client, kefu: CliRunner) -> None:
    _replies(store)
    result = kefu.invoke(app, ["sql", "SELECT [event_id] AS ids FROM bot_replies", "--format", "csv"])
    assert result.exit_code == 2
    assert "--format json" in result.stderr


@pytest.mark.parametrize("output", ["table", "json", "csv"])
def test_a_datetime_column_prints_as_a_time_not_as_seconds(store: Client, kefu: CliRunner, output: str) -> None:
    _replies(store)  # ClickHouse's Arrow output writes DateTime (not DateTime64) as a bare uint32
    sql = "SELECT toStartOfHour(toDateTime('2026-11-22 10:17:00', 'UTC')) AS hour, count() AS n FROM bot_replies FINAL"
    result = kefu.invoke(app, ["sql", sql, "--format", output])
    assert result.exit_code == 0, result.output
    assert "2026-11-22" in result.stdout and "10:00:00" in result.stdout
    assert "1795" not in result.stdout  # 2026-11-22 10:00 UTC is 1795341600 seconds
