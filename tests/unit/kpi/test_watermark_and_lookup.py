"""Per-partition watermarks and the bounded memory of customer messages."""

from __future__ import annotations

from processors.kpi import Watermarks
from processors.kpi.lookup import MessageLookup


def test_a_watermark_trails_the_newest_event_by_the_allowed_lateness() -> None:
    now = [100_000]
    marks = Watermarks(allowed_lateness_ms=5_000, clock=lambda: now[0])
    marks.observe(0, 50_000)
    marks.observe(0, 40_000)  # older events do not move it back
    marks.observe(1, 90_000)

    assert marks.current() == {0: 45_000, 1: 85_000}


def test_a_quiet_partition_watermark_advances_with_the_wall_clock() -> None:
    now = [100_000]
    marks = Watermarks(allowed_lateness_ms=5_000, clock=lambda: now[0])
    marks.observe(0, 50_000)
    now[0] += 30_000

    assert marks.current() == {0: 75_000}


def test_forgotten_partitions_have_no_watermark() -> None:
    marks = Watermarks(allowed_lateness_ms=0, clock=lambda: 0)
    marks.observe(0, 1)
    marks.observe(1, 1)
    marks.forget([0])

    assert set(marks.current()) == {1}


def test_the_message_memory_forgets_the_least_recent_beyond_its_capacity() -> None:
    lookup = MessageLookup(capacity=2)
    lookup.remember("m1", "c1", 1, "web", "a")
    lookup.remember("m2", "c2", 2, "app", "b")
    lookup.remember("m3", "c3", 3, "web", "c")

    assert (lookup.intent_of("m1"), lookup.intent_of("m3")) == ("", "c")
    assert lookup.first_of("c1") == ("", "")
    assert len(lookup) == 2


def test_the_first_message_of_a_conversation_is_the_earliest_by_time_then_id() -> None:
    lookup = MessageLookup(capacity=10)
    lookup.remember("m9", "c1", 20, "web", "late")
    lookup.remember("m5", "c1", 10, "web", "early")
    lookup.remember("m1", "c1", 10, "web", "early-lower-id")

    assert lookup.first_of("c1") == ("web", "early-lower-id")
