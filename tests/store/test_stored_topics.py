"""Which topics the ClickHouse sink consumes: every record of the contract is stored or excluded with a reason."""

from __future__ import annotations

from schemas.catalog import RECORD_NAMES
from streams.store.tables import NOT_STORED, TABLE_OF_TOPIC, TABLES
from streams.topics import REPLY_DELTAS


def test_every_record_is_either_stored_or_excluded_with_a_reason() -> None:
    stored = {table.record for table in TABLES}
    assert stored.isdisjoint(NOT_STORED)
    assert stored | set(NOT_STORED) == set(RECORD_NAMES)
    assert all(reason.strip() for reason in NOT_STORED.values())


def test_reply_deltas_are_not_consumed_by_the_sink() -> None:
    # SinkService subscribes to exactly the topics of TABLE_OF_TOPIC
    assert REPLY_DELTAS not in TABLE_OF_TOPIC
    assert "conversations.replies" in TABLE_OF_TOPIC
