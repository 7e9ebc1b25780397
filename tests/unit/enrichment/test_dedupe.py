"""Dedupe: exact duplicates by event id, near duplicates by text within a window, bounded memory."""

from __future__ import annotations

from typing import Any

from processors.dedupe import DedupeConfig, Deduplicator, Duplicate


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def event(
    event_id: str, text: str = "在吗", *, conversation: str = "c1", ts: int = 0, role: str = "customer"
) -> dict[str, Any]:
    return {"event_id": event_id, "conversation_id": conversation, "role": role, "text": text, "ts": ts}


def test_a_replayed_event_id_is_an_exact_duplicate_even_with_other_text() -> None:
    dedupe = Deduplicator()
    assert dedupe.check(event("e1", "你好")) is None
    assert dedupe.check(event("e1", "完全不同的文字", ts=999_999)) is Duplicate.EXACT
    assert dedupe.counts[Duplicate.EXACT] == 1


def test_event_ids_are_forgotten_after_the_exact_window() -> None:
    clock = Clock()
    dedupe = Deduplicator(DedupeConfig(exact_window_s=60, near_window_s=0), clock=clock)
    assert dedupe.check(event("e1")) is None
    clock.now = 59
    assert dedupe.check(event("e1")) is Duplicate.EXACT
    clock.now = 200
    assert dedupe.check(event("e1", ts=500_000)) is None


def test_same_text_twice_within_the_near_window_is_a_near_duplicate_folding_width_and_case() -> None:
    dedupe = Deduplicator(DedupeConfig(near_window_s=10))
    assert dedupe.check(event("e1", "我要退货 ABC", ts=1_000)) is None
    assert dedupe.check(event("e2", "我要退货ａｂｃ", ts=9_000)) is Duplicate.NEAR
    assert dedupe.counts[Duplicate.NEAR] == 1


def test_same_text_outside_the_near_window_is_a_new_message() -> None:
    dedupe = Deduplicator(DedupeConfig(near_window_s=10))
    assert dedupe.check(event("e1", "好的", ts=0)) is None
    assert dedupe.check(event("e2", "好的", ts=10_001)) is None


def test_different_digits_are_different_messages() -> None:
    dedupe = Deduplicator()
    assert dedupe.check(event("e1", "订单123到哪了")) is None
    assert dedupe.check(event("e2", "订单456到哪了")) is None


def test_same_text_in_another_conversation_or_from_another_role_is_not_a_duplicate() -> None:
    dedupe = Deduplicator()
    assert dedupe.check(event("e1", "好的")) is None
    assert dedupe.check(event("e2", "好的", conversation="c2")) is None
    assert dedupe.check(event("e3", "好的", role="agent")) is None


def test_memory_is_bounded_by_conversation_count_least_recent_first() -> None:
    dedupe = Deduplicator(DedupeConfig(max_conversations=2))
    dedupe.check(event("a1", conversation="a"))
    dedupe.check(event("b1", conversation="b"))
    dedupe.check(event("a2", "再问一次", conversation="a"))  # touches a: b is now the least recent
    dedupe.check(event("c1", conversation="c"))
    assert len(dedupe) == 2
    assert dedupe.check(event("a1", conversation="a")) is Duplicate.EXACT
    assert dedupe.check(event("b1", conversation="b")) is None  # b was forgotten


def test_ids_per_conversation_are_bounded() -> None:
    dedupe = Deduplicator(DedupeConfig(max_ids_per_conversation=4, near_window_s=0))
    for i in range(10):
        assert dedupe.check(event(f"e{i}", f"消息{i}")) is None
    assert dedupe.check(event("e9", "x")) is Duplicate.EXACT
    assert dedupe.check(event("e0", "x", ts=1)) is None
