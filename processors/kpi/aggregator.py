"""Tumbling-window KPI aggregation of EnrichedEvent, BotReply, Handoff and Feedback records: exact, in memory.

State is kept per source partition (the conversation topics are all keyed by conversation_id and have the same
partition count, so partition ``p`` of each holds the same conversations): a snapshot covers one
(tenant, channel, intent, window, partition), its id is derived from exactly those, and whichever worker owns
the partition emits the same id. Readers sum the counts of a window's partitions (conversations too: a
conversation lives in one partition). See docs/kpis.md for definitions and docs/decisions.md for the trade-offs.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from processors.dialogue.agent_hold import is_silent_reply
from processors.kpi.definitions import csat_of, intent_of, is_customer_message, is_negative, window_start
from processors.kpi.lookup import MessageLookup
from processors.kpi.watermark import wall_clock_ms
from processors.kpi.window import Key, PendingRating, PendingReply, Window

RECORD_TYPES = ("EnrichedEvent", "BotReply", "Handoff", "Feedback")


class Outcome(enum.StrEnum):
    """What ``add`` did with a record."""

    COUNTED = "counted"
    IGNORED = "ignored"  # carries no KPI (a bot's own EnrichedEvent, a Feedback without CSAT)
    DUPLICATE = "duplicate"  # same record type and event_id already counted in its window
    CORRECTED = "corrected"  # late, its window was emitted: the window is emitted again (same ids)
    DROPPED = "dropped"  # later than the correction horizon: not counted online
    BEFORE_RESUME = "before_resume"  # older than where this worker resumed the partition: not counted


class KpiAggregator:
    """Exact KPI counts per tumbling window, closed by watermark.

    >>> agg = KpiAggregator(window_ms=60_000, clock=lambda: 0)
    >>> msg = {"event_id": "m1", "conversation_id": "c1", "tenant_id": "acme", "channel": "web",
    ...        "role": "customer", "intent": "refund", "sentiment": {"emotion": "angry"}, "ts": 1_000}
    >>> agg.add("EnrichedEvent", msg)
    <Outcome.COUNTED: 'counted'>
    >>> agg.add("BotReply", {"event_id": "r1", "in_reply_to": "m1", "tenant_id": "acme", "channel": "web",
    ...                      "latency_ms": 800, "ts": 2_000})
    <Outcome.COUNTED: 'counted'>
    >>> agg.close_windows(59_999)
    []
    >>> [snap] = agg.close_windows(60_000)
    >>> snap["intent"], snap["customer_messages"], snap["bot_replies"], snap["negative_emotion"]
    ('refund', 1, 1, 1)
    >>> snap["latency_p50_ms"]
    800.0
    """

    def __init__(
        self,
        window_ms: int = 60_000,
        correction_horizon_ms: int = 600_000,
        lookup_capacity: int = 200_000,
        clock: Callable[[], int] = wall_clock_ms,
    ) -> None:
        if window_ms <= 0 or correction_horizon_ms < 0:
            raise ValueError("window_ms must be positive and correction_horizon_ms not negative")
        self.window_ms = window_ms
        self.correction_horizon_ms = correction_horizon_ms
        self.lookup = MessageLookup(lookup_capacity)
        self._clock = clock
        self._windows: dict[int, dict[int, Window]] = {}  # partition -> window start -> window
        self._closed_upto: dict[int, int] = {}  # partition -> last watermark applied
        self._resume_guard: dict[int, int | None] = {}  # partition -> windows starting before it are not ours

    @property
    def open_windows(self) -> int:
        return sum(not w.closed for windows in self._windows.values() for w in windows.values())

    @property
    def partitions(self) -> set[int]:
        """Partitions this aggregator holds state for."""
        return set(self._windows) | set(self._resume_guard)

    # -- input -------------------------------------------------------------------------------------------------

    def add(self, record_type: str, datum: dict[str, Any], partition: int = 0, offset: int | None = None) -> Outcome:
        """Count one decoded record of ``record_type`` consumed from ``partition`` at ``offset``.

        The first record of a partition consumed at an offset above 0 marks a resume after another consumer:
        that record's window and older ones may already have been emitted complete, so they are left alone.
        """
        if record_type not in RECORD_TYPES:
            raise ValueError(f"unknown record type {record_type!r}; expected one of {RECORD_TYPES}")
        if not self._carries_kpi(record_type, datum):
            return Outcome.IGNORED
        start = window_start(int(datum["ts"]), self.window_ms)
        if partition not in self._resume_guard:
            self._resume_guard[partition] = start + self.window_ms if offset else None
        guard = self._resume_guard[partition]
        if guard is not None and start < guard:
            return Outcome.BEFORE_RESUME
        window, late = self._window(partition, start)
        if window is None:
            return Outcome.DROPPED
        if (record_type, datum["event_id"]) in window.seen:
            return Outcome.DUPLICATE
        window.seen.add((record_type, datum["event_id"]))
        self._count(window, record_type, datum)
        return Outcome.CORRECTED if late else Outcome.COUNTED

    def _carries_kpi(self, record_type: str, datum: dict[str, Any]) -> bool:
        if record_type == "EnrichedEvent":
            return is_customer_message(datum)
        if record_type == "Feedback":
            return csat_of(datum) is not None
        return True

    def _window(self, partition: int, start: int) -> tuple[Window | None, bool]:
        """The window to count into (None when beyond the correction horizon) and whether it is already closed."""
        windows = self._windows.setdefault(partition, {})
        closed_upto = self._closed_upto.get(partition)
        end = start + self.window_ms
        late = closed_upto is not None and end <= closed_upto
        window = windows.get(start)
        if window is None:
            if late and closed_upto is not None and end + self.correction_horizon_ms <= closed_upto:
                return None, True
            window = windows[start] = Window(start, end, closed=late)
        return window, late

    def _count(self, window: Window, record_type: str, datum: dict[str, Any]) -> None:
        tenant, channel = datum["tenant_id"], datum.get("channel", "")
        if record_type == "EnrichedEvent":
            intent = intent_of(datum)
            self.lookup.remember(datum["event_id"], datum["conversation_id"], datum["ts"], channel, intent)
            cell = window.cell(Key(tenant, channel, intent))
            cell.customer_messages += 1
            cell.conversations.add(datum["conversation_id"])
            cell.unknown_intent += intent == "unknown"
            cell.negative_emotion += is_negative(datum)
        elif record_type == "BotReply":
            if is_silent_reply(datum):  # a human agent holds the conversation: the bot said nothing
                return
            window.replies.append(PendingReply(tenant, channel, datum["in_reply_to"], int(datum["latency_ms"])))
        elif record_type == "Handoff":
            window.cell(Key(tenant, channel, intent_of(datum))).handoffs += 1
        else:
            csat = csat_of(datum)
            assert csat is not None  # _carries_kpi let only rated feedback through
            window.ratings.append(PendingRating(tenant, datum["conversation_id"], csat))

    # -- output ------------------------------------------------------------------------------------------------

    def close_windows(self, watermark: int | Mapping[int, int]) -> list[dict[str, Any]]:
        """KpiSnapshot datums of every window ending at or before the watermark, and of corrected windows.

        ``watermark`` is event time (ms) below which no more records are expected: one value for every
        partition, or one per partition. Closed windows are kept for late records until they are older than
        the correction horizon, then forgotten.
        """
        marks = watermark if isinstance(watermark, Mapping) else dict.fromkeys(self._windows, watermark)
        snapshots: list[dict[str, Any]] = []
        now = self._clock()
        for partition, mark in sorted(marks.items()):
            previous = self._closed_upto.get(partition)
            self._closed_upto[partition] = mark if previous is None else max(previous, mark)
            windows = self._windows.get(partition, {})
            for start in sorted(windows):
                window = windows[start]
                if window.end <= mark and (not window.closed or window.dirty):
                    snapshots.extend(self._emit(window, partition, now))
                if window.end + self.correction_horizon_ms <= self._closed_upto[partition]:
                    del windows[start]
        return snapshots

    def _emit(self, window: Window, partition: int, now: int) -> list[dict[str, Any]]:
        for reply in window.replies:
            cell = window.cell(Key(reply.tenant, reply.channel, self.lookup.intent_of(reply.in_reply_to)))
            cell.bot_replies += 1
            cell.latencies.append(reply.latency_ms)
        for rating in window.ratings:
            channel, intent = self.lookup.first_of(rating.conversation_id)
            cell = window.cell(Key(rating.tenant, channel, intent))
            cell.csat_count += 1
            cell.csat_sum += rating.csat
        window.replies.clear()
        window.ratings.clear()
        window.closed = True
        out = []
        for key, cell in sorted(window.cells.items()):
            if cell.dirty:
                out.append(cell.snapshot(key, window.start, window.end, partition, now))
                cell.dirty = False
        return out

    def forget_partitions(self, partitions: Iterable[int]) -> None:
        """Drop the state of partitions this worker no longer owns (their new owner resumes them)."""
        for partition in partitions:
            self._windows.pop(partition, None)
            self._closed_upto.pop(partition, None)
            self._resume_guard.pop(partition, None)
