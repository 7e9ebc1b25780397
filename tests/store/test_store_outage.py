"""The store failing in the middle of a flush (a table gone, as when a ClickHouse server drops out), on real chDB."""

from __future__ import annotations

import pytest
from clickhouse_connect.driver.client import Client

from streams.store.sink import ClickHouseSink
from tests.store.conftest import enriched, reply


def _count(store: Client, table: str) -> int:
    return int(store.query(f"SELECT count() FROM {table} FINAL").result_rows[0][0])


def test_a_flush_that_fails_half_way_keeps_only_the_unwritten_records_and_the_retry_writes_each_once(
    store: Client,
) -> None:
    sink = ClickHouseSink(store)
    for n in range(3):
        sink.add("events", enriched(f"e{n}", "c1"))
        sink.add("bot_replies", reply(f"r{n}", f"e{n}", "c1"))
    store.command("DETACH TABLE kefu.bot_replies")
    with pytest.raises(Exception, match="bot_replies"):
        sink.flush()
    assert sink.buffered == 3 and not sink.buffers["events"]  # the events were written; the replies are kept

    with pytest.raises(Exception, match="bot_replies"):  # still down: the retry fails the same way, nothing lost
        sink.flush()
    store.command("ATTACH TABLE kefu.bot_replies")
    sink.flush()
    assert sink.buffered == 0
    assert (_count(store, "events"), _count(store, "bot_replies")) == (3, 3)
