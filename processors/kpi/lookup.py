"""Bounded memory of customer messages, so replies and ratings can be attributed to the intent they concern."""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

from processors.kpi.definitions import NO_CHANNEL, NO_INTENT


class FirstMessage(NamedTuple):
    ts: int
    event_id: str
    channel: str
    intent: str


class MessageLookup:
    """``event_id -> intent`` of customer messages and each conversation's first message, least recent evicted.

    Bounded by ``capacity`` entries per map; a reply whose message was evicted (or never consumed by this
    worker) gets intent ``''``, which is the documented divergence from the offline view.

    >>> lookup = MessageLookup(capacity=2)
    >>> lookup.remember("m1", "c1", 1_000, "web", "refund")
    >>> lookup.intent_of("m1"), lookup.intent_of("nope")
    ('refund', '')
    >>> lookup.first_of("c1")
    ('web', 'refund')
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._intents: OrderedDict[str, str] = OrderedDict()
        self._first: OrderedDict[str, FirstMessage] = OrderedDict()

    def __len__(self) -> int:
        return len(self._intents)

    def remember(self, event_id: str, conversation_id: str, ts: int, channel: str, intent: str) -> None:
        self._intents[event_id] = intent
        self._intents.move_to_end(event_id)
        if len(self._intents) > self.capacity:
            self._intents.popitem(last=False)
        candidate = FirstMessage(ts, event_id, channel, intent)
        known = self._first.get(conversation_id)
        if known is None or (candidate.ts, candidate.event_id) < (known.ts, known.event_id):
            self._first[conversation_id] = candidate
        self._first.move_to_end(conversation_id)
        if len(self._first) > self.capacity:
            self._first.popitem(last=False)

    def intent_of(self, event_id: str) -> str:
        return self._intents.get(event_id, NO_INTENT)

    def first_of(self, conversation_id: str) -> tuple[str, str]:
        """(channel, intent) of the conversation's earliest customer message seen, or ('', '')."""
        first = self._first.get(conversation_id)
        return (NO_CHANNEL, NO_INTENT) if first is None else (first.channel, first.intent)
