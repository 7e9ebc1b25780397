"""The tumbling-window KPI aggregator: exact counts, attribution, windows, lateness, replays and partitions."""

from __future__ import annotations

import random
from typing import Any

import pytest

from processors.kpi import KpiAggregator, Outcome
from tests.unit.kpi.records import MINUTE, T0, feedback, handoff, message, reply


def aggregator(**kwargs: Any) -> KpiAggregator:
    return KpiAggregator(window_ms=MINUTE, clock=lambda: 42, **kwargs)


def by_key(snapshots: list[dict[str, Any]]) -> dict[tuple[str, str, str, int], dict[str, Any]]:
    return {(s["tenant_id"], s["channel"], s["intent"], s["window_start"]): s for s in snapshots}


def test_customer_messages_conversations_unknown_and_negative_are_counted_exactly() -> None:
    agg = aggregator()
    agg.add("EnrichedEvent", message("m1", "c1", T0 + 1, emotion="angry"))
    agg.add("EnrichedEvent", message("m2", "c1", T0 + 2, emotion="anxious"))
    agg.add("EnrichedEvent", message("m3", "c2", T0 + 3, emotion="satisfied"))
    agg.add("EnrichedEvent", message("m4", "c3", T0 + 4, intent="unknown", emotion=None))
    agg.add("EnrichedEvent", message("m5", "c3", T0 + 5, intent=None))

    rows = by_key(agg.close_windows(T0 + MINUTE))

    refund = rows["acme", "web", "refund", T0]
    assert (refund["customer_messages"], refund["conversations"], refund["negative_emotion"]) == (3, 2, 2)
    unknown = rows["acme", "web", "unknown", T0]
    assert (unknown["customer_messages"], unknown["unknown_intent"], unknown["negative_emotion"]) == (1, 1, 0)
    assert rows["acme", "web", "", T0]["customer_messages"] == 1
    assert refund["window_end"] == T0 + MINUTE
    assert refund["latency_p50_ms"] is None


def test_bot_agent_and_system_events_are_not_volume() -> None:
    agg = aggregator()
    for i, role in enumerate(("bot", "agent", "system")):
        assert agg.add("EnrichedEvent", message(f"m{i}", "c1", T0, role=role)) is Outcome.IGNORED
    assert agg.close_windows(T0 + MINUTE) == []


def test_a_reply_takes_the_intent_of_the_message_it_answers_even_when_consumed_first() -> None:
    agg = aggregator()
    agg.add("BotReply", reply("r1", "m1", "c1", T0 + 10, 900))
    agg.add("EnrichedEvent", message("m1", "c1", T0 + 5, intent="delivery"))
    agg.add("BotReply", reply("r2", "never-seen", "c9", T0 + 11, 100))

    rows = by_key(agg.close_windows(T0 + MINUTE))

    assert rows["acme", "web", "delivery", T0]["bot_replies"] == 1
    assert rows["acme", "web", "delivery", T0]["latency_p99_ms"] == 900.0
    assert rows["acme", "web", "", T0]["bot_replies"] == 1  # the documented fallback: intent ''


def test_latency_quantiles_are_exact_observed_values() -> None:
    agg = aggregator()
    agg.add("EnrichedEvent", message("m", "c1", T0))
    latencies = list(range(1, 201))  # 1..200 ms
    random.Random(7).shuffle(latencies)
    for i, latency in enumerate(latencies):
        agg.add("BotReply", reply(f"r{i}", "m", "c1", T0 + i, latency))

    [row] = agg.close_windows(T0 + MINUTE)

    # quantileExact: element floor(level * n) of the sorted values: index 100, 190 and 198 of 1..200
    assert (row["latency_p50_ms"], row["latency_p95_ms"], row["latency_p99_ms"]) == (101.0, 191.0, 199.0)


def test_handoffs_use_their_own_intent_and_ratings_the_first_message_of_their_conversation() -> None:
    agg = aggregator()
    agg.add("EnrichedEvent", message("m2", "c1", T0 + 20, intent="delivery", channel="web"))
    agg.add("EnrichedEvent", message("m1", "c1", T0 + 10, intent="refund", channel="web"))
    agg.add("Handoff", handoff("h1", "c1", T0 + 30, intent="delivery"))
    agg.add("Handoff", handoff("h2", "c1", T0 + 31, intent=None))
    agg.add("Feedback", feedback("f1", "c1", T0 + 40, csat=4))
    agg.add("Feedback", feedback("f2", "c1", T0 + 41, csat=2))
    agg.add("Feedback", feedback("f3", "unknown-conversation", T0 + 42, csat=5))
    assert agg.add("Feedback", feedback("f4", "c1", T0 + 43, csat=None)) is Outcome.IGNORED
    assert agg.add("Feedback", feedback("f5", "c1", T0 + 44, csat=9)) is Outcome.IGNORED

    rows = by_key(agg.close_windows(T0 + MINUTE))

    assert rows["acme", "web", "delivery", T0]["handoffs"] == 1
    assert rows["acme", "", "", T0]["csat_count"] == 1  # rating of a conversation never seen
    assert rows["acme", "web", "", T0]["handoffs"] == 1
    refund = rows["acme", "web", "refund", T0]
    assert (refund["csat_count"], refund["csat_sum"]) == (2, 6)


def test_a_record_seen_twice_is_counted_once() -> None:
    agg = aggregator()
    assert agg.add("EnrichedEvent", message("m1", "c1", T0)) is Outcome.COUNTED
    assert agg.add("EnrichedEvent", message("m1", "c1", T0)) is Outcome.DUPLICATE
    assert agg.add("BotReply", reply("m1", "m1", "c1", T0 + 1, 5)) is Outcome.COUNTED  # another record type

    [row] = agg.close_windows(T0 + MINUTE)

    assert (row["customer_messages"], row["bot_replies"]) == (1, 1)


def test_windows_are_half_open_and_close_only_when_the_watermark_reaches_their_end() -> None:
    agg = aggregator()
    agg.add("EnrichedEvent", message("m1", "c1", T0 + MINUTE - 1))
    agg.add("EnrichedEvent", message("m2", "c2", T0 + MINUTE))

    assert agg.close_windows(T0 + MINUTE - 1) == []
    [first] = agg.close_windows(T0 + MINUTE)
    assert agg.close_windows(T0 + MINUTE) == []  # emitted once
    [second] = agg.close_windows(T0 + 2 * MINUTE)

    assert (first["window_start"], first["customer_messages"]) == (T0, 1)
    assert (second["window_start"], second["customer_messages"]) == (T0 + MINUTE, 1)


def test_a_late_record_within_the_horizon_re_emits_only_its_cell_with_the_same_id() -> None:
    agg = aggregator(correction_horizon_ms=10 * MINUTE)
    agg.add("EnrichedEvent", message("m1", "c1", T0 + 1))
    agg.add("EnrichedEvent", message("m2", "c2", T0 + 2, intent="delivery"))
    emitted = by_key(agg.close_windows(T0 + 2 * MINUTE))

    assert agg.add("EnrichedEvent", message("m3", "c3", T0 + 3)) is Outcome.CORRECTED
    [correction] = agg.close_windows(T0 + 2 * MINUTE)

    original = emitted["acme", "web", "refund", T0]
    assert correction["event_id"] == original["event_id"]
    assert (original["customer_messages"], correction["customer_messages"]) == (1, 2)
    assert correction["conversations"] == 2


def test_a_record_later_than_the_horizon_is_dropped() -> None:
    agg = aggregator(correction_horizon_ms=5 * MINUTE)
    agg.add("EnrichedEvent", message("m1", "c1", T0 + 1))
    agg.close_windows(T0 + 6 * MINUTE)

    assert agg.add("EnrichedEvent", message("m2", "c2", T0 + 2)) is Outcome.DROPPED
    assert agg.add("EnrichedEvent", message("m3", "c3", T0 + MINUTE)) is Outcome.CORRECTED  # still retained
    assert [s["window_start"] for s in agg.close_windows(T0 + 6 * MINUTE)] == [T0 + MINUTE]


def test_a_late_record_for_a_window_that_was_empty_is_emitted_as_a_correction() -> None:
    agg = aggregator()
    agg.add("EnrichedEvent", message("m1", "c1", T0 + 5 * MINUTE))
    agg.close_windows(T0 + 6 * MINUTE)

    assert agg.add("EnrichedEvent", message("m2", "c2", T0)) is Outcome.CORRECTED
    assert [s["window_start"] for s in agg.close_windows(T0 + 6 * MINUTE)] == [T0]


def test_replaying_the_same_records_gives_the_same_ids_and_counts() -> None:
    records: list[tuple[str, dict[str, Any]]] = []
    for i in range(300):
        ts = T0 + i * 1_000
        records.append(("EnrichedEvent", message(f"m{i}", f"c{i % 17}", ts, intent=("a", "b", "unknown")[i % 3])))
        records.append(("BotReply", reply(f"r{i}", f"m{i}", f"c{i % 17}", ts + 500, 100 + i)))

    def run() -> list[dict[str, Any]]:
        agg = aggregator()
        for record_type, datum in records:
            agg.add(record_type, datum, partition=3)
        return agg.close_windows(T0 + 10 * MINUTE)

    assert run() == run()
    assert sum(s["customer_messages"] for s in run()) == 300


def test_each_partition_emits_its_own_snapshot_and_their_counts_add_up() -> None:
    agg = aggregator()
    agg.add("EnrichedEvent", message("m1", "c1", T0), partition=0)
    agg.add("EnrichedEvent", message("m2", "c2", T0), partition=1)
    agg.add("EnrichedEvent", message("m3", "c2", T0), partition=1)

    snapshots = agg.close_windows(T0 + MINUTE)

    assert len({s["event_id"] for s in snapshots}) == 2
    assert sum(s["customer_messages"] for s in snapshots) == 3
    assert sum(s["conversations"] for s in snapshots) == 2


def test_a_watermark_per_partition_closes_only_that_partition() -> None:
    agg = aggregator()
    agg.add("EnrichedEvent", message("m1", "c1", T0), partition=0)
    agg.add("EnrichedEvent", message("m2", "c2", T0), partition=1)

    closed = agg.close_windows({1: T0 + MINUTE})

    assert [s["customer_messages"] for s in closed] == [1]
    assert agg.open_windows == 1


def test_after_resuming_a_partition_its_first_window_and_older_ones_are_left_to_the_previous_owner() -> None:
    agg = aggregator()
    assert agg.add("EnrichedEvent", message("m1", "c1", T0 + 5), partition=2, offset=1_000) is Outcome.BEFORE_RESUME
    assert agg.add("EnrichedEvent", message("m0", "c0", T0 - 5), partition=2, offset=1_001) is Outcome.BEFORE_RESUME
    assert agg.add("EnrichedEvent", message("m2", "c2", T0 + MINUTE), partition=2, offset=1_002) is Outcome.COUNTED
    assert agg.add("EnrichedEvent", message("m3", "c3", T0 + 5), partition=0, offset=0) is Outcome.COUNTED

    snapshots = agg.close_windows(T0 + 2 * MINUTE)

    assert sorted(s["window_start"] for s in snapshots) == [T0, T0 + MINUTE]


def test_forgetting_a_revoked_partition_drops_its_windows() -> None:
    agg = aggregator()
    agg.add("EnrichedEvent", message("m1", "c1", T0), partition=0)
    agg.add("EnrichedEvent", message("m2", "c2", T0), partition=1)

    agg.forget_partitions([0])

    assert [s["customer_messages"] for s in agg.close_windows(T0 + MINUTE)] == [1]


def test_unknown_record_types_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown record type"):
        aggregator().add("ConversationEvent", message("m1", "c1", T0))
