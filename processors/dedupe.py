"""Dropping duplicate messages before anything else sees them.

Two kinds of duplicate reach the inbound topic:

* **exact**: the same ``event_id`` again (a producer retry, an upstream replay);
* **near**: a different ``event_id`` with the same normalised text from the same role in the same
  conversation within a few seconds (a flaky channel sending a message twice).

State is kept per conversation, so it partitions with the inbound topic (keyed by conversation id) and
each worker holds only its own conversations. It lives in memory and is bounded (by age and by count);
it is deliberately not a Faust table, whose recovery is unreliable on the embedded broker. After a
restart the memory is empty: an exact duplicate that slips through is still harmless, because every
sink is idempotent on ``event_id``; a near duplicate spanning the restart may pass (documented in
``docs/decisions.md``).
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["DedupeConfig", "Deduplicator", "Duplicate"]


class Duplicate(StrEnum):
    """Why an event was dropped."""

    EXACT = "exact"
    NEAR = "near"


@dataclass(frozen=True, slots=True)
class DedupeConfig:
    """Windows and bounds of the duplicate memory.

    Attributes
    ----------
    exact_window_s
        How long (processing time) an ``event_id`` is remembered.
    near_window_s
        Largest gap in event time between two equal texts that still makes the second a duplicate.
    max_conversations
        Conversations remembered at once; the least recently active are forgotten first.
    max_ids_per_conversation
        Event ids remembered per conversation (the oldest are forgotten first).
    """

    exact_window_s: float = 3600.0
    near_window_s: float = 10.0
    max_conversations: int = 200_000
    max_ids_per_conversation: int = 256


@dataclass(slots=True)
class _Conversation:
    ids: OrderedDict[str, float] = field(default_factory=OrderedDict)
    """event_id -> processing time it was first seen."""
    texts: dict[tuple[str, bytes], int] = field(default_factory=dict)
    """(role, digest of normalised text) -> event time (ms) it was last seen."""
    last_seen: float = 0.0


class Deduplicator:
    """Says whether an event is a duplicate of one seen before, and remembers it if not.

    Parameters
    ----------
    config
        Windows and bounds.
    clock
        Processing-time clock in seconds (injectable for tests).

    Examples
    --------
    >>> dedupe = Deduplicator(DedupeConfig(near_window_s=5), clock=lambda: 0.0)
    >>> first = {"event_id": "e1", "conversation_id": "c1", "role": "customer", "text": "在吗？", "ts": 1_000}
    >>> dedupe.check(first) is None
    True
    >>> dedupe.check(first)
    <Duplicate.EXACT: 'exact'>
    >>> dedupe.check({**first, "event_id": "e2", "text": "在吗?", "ts": 3_000})
    <Duplicate.NEAR: 'near'>
    >>> dedupe.check({**first, "event_id": "e3", "ts": 60_000}) is None
    True
    """

    __slots__ = ("_clock", "_conversations", "config", "counts")

    def __init__(self, config: DedupeConfig | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config or DedupeConfig()
        self._clock = clock
        self._conversations: OrderedDict[str, _Conversation] = OrderedDict()
        self.counts: dict[Duplicate, int] = dict.fromkeys(Duplicate, 0)

    def __len__(self) -> int:
        """Conversations currently remembered."""
        return len(self._conversations)

    def check(self, event: dict[str, Any]) -> Duplicate | None:
        """``None`` for a new event (now remembered), else the kind of duplicate it is (counted)."""
        now = self._clock()
        # Conversation ids are chosen by producers: tenants share the id space, never the duplicate memory,
        # or one tenant could suppress another's messages by sending their id or text first.
        key = f"{event.get('tenant_id', '')}\x00{event['conversation_id']}"
        conversation = self._conversation(key, now)
        event_id = str(event["event_id"])
        seen_at = conversation.ids.get(event_id)
        if seen_at is not None and now - seen_at <= self.config.exact_window_s:
            self.counts[Duplicate.EXACT] += 1
            return Duplicate.EXACT
        text_key = (str(event["role"]), _digest(str(event["text"])))
        ts = int(event["ts"])
        previous_ts = conversation.texts.get(text_key)
        conversation.texts[text_key] = ts
        self._remember(conversation, event_id, now)
        if previous_ts is not None and abs(ts - previous_ts) <= self.config.near_window_s * 1000:
            self.counts[Duplicate.NEAR] += 1
            return Duplicate.NEAR
        return None

    def _conversation(self, conversation_id: str, now: float) -> _Conversation:
        conversations = self._conversations
        conversation = conversations.get(conversation_id)
        if conversation is None:
            conversation = conversations[conversation_id] = _Conversation()
            while len(conversations) > self.config.max_conversations:
                conversations.popitem(last=False)
        else:
            conversations.move_to_end(conversation_id)
        conversation.last_seen = now
        return conversation

    def _remember(self, conversation: _Conversation, event_id: str, now: float) -> None:
        ids = conversation.ids
        ids[event_id] = now
        ids.move_to_end(event_id)
        horizon = now - self.config.exact_window_s
        while ids and (len(ids) > self.config.max_ids_per_conversation or next(iter(ids.values())) < horizon):
            ids.popitem(last=False)
        if len(conversation.texts) > self.config.max_ids_per_conversation:
            # Keep the most recent texts: a near duplicate is by definition close in time.
            recent = sorted(conversation.texts.items(), key=lambda item: item[1])
            conversation.texts = dict(recent[-self.config.max_ids_per_conversation // 2 :])


_SPACE = re.compile(r"\s+")


def _digest(text: str) -> bytes:
    """A short fingerprint of the text with width, case and spacing folded (digits are kept: "订单123"
    and "订单456" are different messages). Only the fingerprint is kept, never the text."""
    folded = _SPACE.sub("", unicodedata.normalize("NFKC", text).lower())
    return hashlib.blake2b(folded.encode("utf-8"), digest_size=12).digest()
