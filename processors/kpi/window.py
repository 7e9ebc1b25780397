"""The state of one tumbling window of one partition: a cell of counters per (tenant, channel, intent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from processors.kpi.definitions import LATENCY_QUANTILES, quantile_exact, snapshot_id


class Key(NamedTuple):
    tenant: str
    channel: str
    intent: str


class PendingReply(NamedTuple):
    """A reply whose intent is looked up when its window closes (its message may be consumed after it)."""

    tenant: str
    channel: str
    in_reply_to: str
    latency_ms: int


class PendingRating(NamedTuple):
    """A CSAT rating, attributed to its conversation's first customer message when the window closes."""

    tenant: str
    conversation_id: str
    csat: int


@dataclass(slots=True)
class Cell:
    """Exact counters of one key in one window."""

    customer_messages: int = 0
    conversations: set[str] = field(default_factory=set)
    bot_replies: int = 0
    handoffs: int = 0
    unknown_intent: int = 0
    negative_emotion: int = 0
    csat_count: int = 0
    csat_sum: int = 0
    latencies: list[int] = field(default_factory=list)
    dirty: bool = True

    def snapshot(self, key: Key, start: int, end: int, partition: int, now_ms: int) -> dict[str, Any]:
        """The KpiSnapshot datum of this cell."""
        ordered = sorted(self.latencies)
        datum: dict[str, Any] = {
            "event_id": snapshot_id(key.tenant, key.channel, key.intent, start, end, partition),
            "tenant_id": key.tenant,
            "channel": key.channel,
            "intent": key.intent,
            "window_start": start,
            "window_end": end,
            "customer_messages": self.customer_messages,
            "conversations": len(self.conversations),
            "bot_replies": self.bot_replies,
            "handoffs": self.handoffs,
            "unknown_intent": self.unknown_intent,
            "negative_emotion": self.negative_emotion,
            "csat_count": self.csat_count,
            "csat_sum": self.csat_sum,
        }
        for name, level in LATENCY_QUANTILES:
            datum[name] = quantile_exact(ordered, level)
        datum["ts"] = now_ms
        return datum


@dataclass(slots=True)
class Window:
    """One window of one partition. ``closed`` once emitted; it stays for corrections until evicted."""

    start: int
    end: int
    cells: dict[Key, Cell] = field(default_factory=dict)
    replies: list[PendingReply] = field(default_factory=list)
    ratings: list[PendingRating] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)  # (record type, event_id): at-least-once duplicates
    closed: bool = False

    def cell(self, key: Key) -> Cell:
        found = self.cells.get(key)
        if found is None:
            found = self.cells[key] = Cell()
        found.dirty = True
        return found

    @property
    def dirty(self) -> bool:
        return bool(self.replies or self.ratings or any(c.dirty for c in self.cells.values()))
