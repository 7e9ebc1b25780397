"""Human agents' messages for the customer's web chat: a tail of ``conversations.enriched``, role agent only.

Agents answer through ``POST /v1/conversations/{id}/agent-replies``; the message goes through the stream like
every other (deduplicated, PII-masked) and this tail keeps the last few per conversation in memory for the
page's long poll ``GET /v1/conversations/{id}/messages``. Like the reply waiter it follows the topic from its end
(a :class:`TopicFollower`: each API process serves its own browsers); messages older than the process are in
ClickHouse, not here. Every API process reads every agent message this way, whichever process accepted it, so
the feed also tells the process's :class:`~serving.api.recent_answers.RecentAnswers` who answered last: the
hold rule then sees another process's agent reply ~0.1 s after it was accepted, not when the store has it (~1 s).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict, deque
from typing import Any

from processors.dialogue.agent_hold import RELEASE
from schemas.wire import AvroCodec, DecodeError
from serving.api.recent_answers import RecentAnswers
from serving.api.topic_follower import TopicFollower

log = logging.getLogger(__name__)

PER_CONVERSATION = 50
CONVERSATIONS = 10_000
POLL_S = 0.2


class AgentMessageFeed:
    def __init__(self, bootstrap: str, topic: str, codec: AvroCodec, recent: RecentAnswers | None = None) -> None:
        """``recent``: told of every agent message seen (see the module's docstring)."""
        self._codec = codec
        self._recent = recent
        self._messages: OrderedDict[str, deque[dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()
        self._follower = TopicFollower(
            bootstrap, [topic], self._decode, name="agent message feed", group_id="kefu-api-agent-feed"
        )

    def start(self) -> None:
        self._follower.start()

    def stop(self) -> None:
        self._follower.stop()

    def add(self, event: dict[str, Any]) -> None:
        """Keep an enriched agent message (anything else is ignored)."""
        if event.get("role") != "agent":
            return
        message = {
            "event_id": event["event_id"],
            "role": "agent",
            "user_id": event["user_id"],
            "text": event["text"],
            "ts": int(event["ts"]),
            "tenant_id": event["tenant_id"],
        }
        with self._lock:
            kept = self._messages.setdefault(str(event["conversation_id"]), deque(maxlen=PER_CONVERSATION))
            self._messages.move_to_end(str(event["conversation_id"]))
            if all(m["event_id"] != message["event_id"] for m in kept):
                kept.append(message)
            while len(self._messages) > CONVERSATIONS:
                self._messages.popitem(last=False)
        if self._recent is not None:
            released = (event.get("metadata") or {}).get("action") == RELEASE
            conversation = str(event["conversation_id"])
            self._recent.answered(message["tenant_id"], conversation, message["user_id"], released=released)

    def since(self, conversation_id: str, tenant: str, after_ts: int) -> list[dict[str, Any]]:
        """Agent messages of the conversation newer than ``after_ts`` (ms), of ``tenant`` ('*' = any)."""
        with self._lock:
            kept = list(self._messages.get(conversation_id, ()))
        return [m for m in kept if m["ts"] > after_ts and tenant in ("*", m["tenant_id"])]

    async def wait(self, conversation_id: str, tenant: str, after_ts: int, timeout_s: float) -> list[dict[str, Any]]:
        """Like :meth:`since`, waiting up to ``timeout_s`` for at least one message (a long poll)."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = self.since(conversation_id, tenant, after_ts)
            if found or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(POLL_S)

    def _decode(self, _topic: str, value: bytes | None) -> None:
        try:
            self.add(self._codec.decode(value))
        except DecodeError as error:
            log.warning("undecodable enriched record skipped: %s", error.reason)
