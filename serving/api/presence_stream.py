"""Agents' presence shared by every API process through ``agents.presence``.

An agent is present while their console polls the queue (``GET /v1/handoffs?agent_id=``). The API process that
answers a poll marks the agent present at once and announces them on the topic (an ``AgentPresence`` record, at
most every ``announce_every_s`` per agent); every API process, itself included, follows the topic from its end and
marks each announced agent present in its own :class:`~serving.api.agent_routing.AgentPresence`. So every process
knows the same agents, and fresh hand-offs are routed the same way whichever process a console polls. A process
that starts knows everyone again within one announcement interval; records are ephemeral (not stored).

A presence is stamped with the time the record arrived here, not the time in it, so clocks need not agree.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

from schemas.wire import AvroCodec, DecodeError
from serving.api.agent_routing import AgentPresence
from serving.api.topic_follower import TopicFollower
from streams.producer import BatchProducer, OutRecord

log = logging.getLogger(__name__)

__all__ = ["PresenceStream"]


class PresenceStream:
    """Announces the agents whose consoles poll this process and hears every process's announcements."""

    def __init__(
        self,
        presence: AgentPresence,
        *,
        bootstrap: str,
        topic: str,
        codec: AvroCodec,
        producer: BatchProducer,
        announce_every_s: float = 5.0,
        max_agents: int = 10_000,
    ) -> None:
        self.presence = presence
        self._topic, self._codec, self._producer = topic, codec, producer
        self.announce_every_s = announce_every_s
        self.max_agents = max_agents
        self._announced: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()
        self._follower = TopicFollower(
            bootstrap, [topic], self._heard, name="agent presence", group_id="kefu-api-agent-presence"
        )

    def start(self) -> None:
        self._follower.start()

    def stop(self) -> None:
        self._follower.stop()

    def seen(self, scope: str, agent: str, now: float | None = None) -> None:
        """An agent's console polled this process: present here now, announced to all when due."""
        stamp = time.monotonic() if now is None else now
        self.presence.seen(scope, agent, stamp)
        if self._due(scope, agent, stamp):
            datum = {"scope": scope, "agent_id": agent, "ts": int(time.time() * 1000)}
            key = f"{scope}\x00{agent}".encode()
            self._producer.send_soon([OutRecord(self._topic, key, self._codec.encode(datum))])

    def _due(self, scope: str, agent: str, now: float) -> bool:
        with self._lock:
            last = self._announced.get((scope, agent))
            if last is not None and now - last < self.announce_every_s:
                return False
            self._announced[(scope, agent)] = now
            self._announced.move_to_end((scope, agent))
            while len(self._announced) > self.max_agents:
                self._announced.popitem(last=False)
            return True

    def _heard(self, _topic: str, value: bytes | None) -> None:
        try:
            record = self._codec.decode(value)
        except DecodeError as error:
            log.warning("undecodable presence record skipped: %s", error.reason)
            return
        self.presence.seen(str(record["scope"]), str(record["agent_id"]))
