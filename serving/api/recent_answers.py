"""Who answered a conversation in the last seconds, as this API process saw it: the store's lag, covered.

The hold an agent's reply takes (``agent_sql.HOLDER_SQL``) is decided from ClickHouse, which has an agent's message
about a second after the API accepted it. Two agents answering the same fresh hand-off within that second would
both get through, and the customer two answers. This process remembers each agent reply it accepted, and each
one the agent message feed (``conversation_feed``) reads from the stream, whichever API process accepted it, for
``window_s``; a newer memory than the store's answer decides (a reply just accepted holds the conversation; a
release just accepted frees it). Across API processes the lag is the stream's (~0.1 s), not the store's.

>>> recent = RecentAnswers(window_s=10.0)
>>> recent.answered("acme", "c1", "agent-7", released=False, now=100.0)
>>> recent.holder("acme", "c1", now=101.0), recent.holder("acme", "c1", now=111.0)
(('agent-7',), None)
>>> recent.holder("acme", "c2", now=101.0) is None  # another conversation: ask the store
True
>>> recent.answered("acme", "c1", "agent-7", released=True, now=102.0)
>>> recent.holder("acme", "c1", now=103.0)  # released just now: nobody holds it, whatever the store says yet
()
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

__all__ = ["RecentAnswers"]


class RecentAnswers:
    """``(tenant, conversation) -> (agent, released, when)`` of the replies this process accepted lately."""

    def __init__(self, window_s: float = 10.0, max_entries: int = 10_000) -> None:
        self.window_s = window_s
        self.max_entries = max_entries
        self._answers: OrderedDict[tuple[str, str], tuple[str, bool, float]] = OrderedDict()
        self._lock = threading.Lock()

    def answered(self, tenant: str, conversation: str, agent: str, *, released: bool, now: float | None = None) -> None:
        """Record an accepted agent reply (``released``: it gave the conversation back to the bot)."""
        stamp = time.monotonic() if now is None else now
        with self._lock:
            self._answers.pop((tenant, conversation), None)
            self._answers[(tenant, conversation)] = (agent, released, stamp)
            while len(self._answers) > self.max_entries:
                self._answers.popitem(last=False)

    def holder(self, tenant: str, conversation: str, now: float | None = None) -> tuple[str, ...] | None:
        """None: nothing recent, ask the store; ``()``: released just now, nobody holds it; ``(agent,)``: held."""
        stamp = time.monotonic() if now is None else now
        with self._lock:
            entry = self._answers.get((tenant, conversation))
        if entry is None or stamp - entry[2] > self.window_s:
            return None
        agent, released, _ = entry
        return () if released else (agent,)
