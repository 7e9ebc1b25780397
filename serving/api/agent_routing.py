"""Which present agent a fresh hand-off goes to: the least loaded, so waiting customers spread across the agents.

An agent is present while their console polls the queue (``GET /v1/handoffs?agent_id=``, every 10 s): this API
process remembers each poll for ``KEFU_AGENT_PRESENCE_S``. An agent's load is the number of conversations they hold
now (``agent_sql.AGENT_LOADS_SQL``: their last agent message, not a release, within ``KEFU_AGENT_HOLD_S``). Fresh
hand-offs (nobody holds them) are routed in queue order, most urgent first, each to the present agent with the
fewest conversations, counting those routed before it; ties go by a stable hash of conversation and agent, so every
poll routes the same snapshot the same way. Routing is a suggestion shown in the queue: the agent who answers
takes the hold, whoever it was routed to.

>>> route(["c1", "c2", "c3"], ["ann", "bob"], {"ann": 2})
{'c1': 'bob', 'c2': 'bob', 'c3': 'ann'}
>>> route(["c1"], [], {})
{}
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence

__all__ = ["AgentPresence", "route"]


def _tie_break(conversation: str, agent: str) -> bytes:
    return hashlib.sha256(f"{conversation}\x00{agent}".encode()).digest()


def route(conversations: Sequence[str], present: Sequence[str], loads: Mapping[str, int]) -> dict[str, str]:
    """``conversation -> agent`` for fresh hand-offs in queue order (none when no agent is present)."""
    load = {agent: int(loads.get(agent, 0)) for agent in present}
    routed: dict[str, str] = {}
    for conversation in conversations:
        if not load:
            break
        agent = min(load, key=lambda name: (load[name], _tie_break(conversation, name)))
        routed[conversation] = agent
        load[agent] += 1
    return routed


class AgentPresence:
    """The agents whose console polled lately, per tenant scope (this API process's view)."""

    def __init__(self, window_s: float = 30.0, max_agents: int = 10_000) -> None:
        self.window_s = window_s
        self.max_agents = max_agents
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()  # least recently seen first
        self._lock = threading.Lock()

    def seen(self, scope: str, agent: str, now: float | None = None) -> None:
        stamp = time.monotonic() if now is None else now
        with self._lock:
            self._seen[(scope, agent)] = stamp
            self._seen.move_to_end((scope, agent))
            while len(self._seen) > self.max_agents:  # forget the longest gone first
                self._seen.popitem(last=False)

    def present(self, scope: str, now: float | None = None) -> list[str]:
        """The agents of ``scope`` seen within the window, sorted."""
        stamp = time.monotonic() if now is None else now
        with self._lock:
            return sorted(a for (s, a), at in self._seen.items() if s == scope and stamp - at <= self.window_s)
