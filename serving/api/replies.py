"""Waiting for the bot's reply to a message the API just ingested, and for its deltas while it is produced.

A :class:`TopicFollower` reads ``conversations.replies`` and ``conversations.reply_deltas`` from their end (each
API process needs every reply) and hands each record to whoever
registered for its ``in_reply_to``: :meth:`ReplyWaiter.expect` resolves a future with the final reply,
:meth:`ReplyWaiter.watch` queues the deltas and then the reply, in arrival order. Records nobody waits for are
dropped here; they are still on the topics for the other channels (and the replies for the sink).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from schemas.wire import AvroCodec, DecodeError
from serving.api.topic_follower import TopicFollower

log = logging.getLogger(__name__)


ReplyItem = tuple[Literal["delta", "reply"], dict[str, Any]]
"""A ReplyDelta (``"delta"``) or the final BotReply (``"reply"``) as :meth:`ReplyWaiter.watch` queues them."""


@dataclass
class _Waiting:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[dict[str, Any]]
    queue: asyncio.Queue[ReplyItem] | None = field(default=None)


class ReplyWaiter:
    def __init__(
        self,
        bootstrap: str,
        topic: str,
        codec: AvroCodec,
        deltas_topic: str | None = None,
        delta_codec: AvroCodec | None = None,
    ) -> None:
        self._topic, self._codec, self._delta_codec = topic, codec, delta_codec
        self._waiting: dict[str, _Waiting] = {}
        self._lock = threading.Lock()
        topics = [topic] if deltas_topic is None else [topic, deltas_topic]
        self._follower = TopicFollower(bootstrap, topics, self._route, name="reply waiter", group_id="kefu-api-replies")

    def start(self) -> None:
        """Start reading in the background (see :meth:`wait_ready`)."""
        self._follower.start()

    def wait_ready(self, timeout_s: float) -> bool:
        """Whether the end offsets are assigned, so that no reply produced from now on can be missed."""
        return self._follower.wait_ready(timeout_s)

    def stop(self) -> None:
        self._follower.stop()

    def expect(self, event_id: str) -> asyncio.Future[dict[str, Any]]:
        """A future for the BotReply to ``event_id``; register it BEFORE producing the message."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        with self._lock:
            self._waiting[event_id] = _Waiting(loop, future)
        return future

    def watch(self, event_id: str) -> asyncio.Queue[ReplyItem]:
        """A queue of the deltas, then the BotReply, to ``event_id``; register it BEFORE producing the message.

        Deltas and the reply travel on two topics: the reply may overtake the last deltas, so a reader treats
        the reply as authoritative and the end of the stream.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[ReplyItem] = asyncio.Queue()
        with self._lock:
            self._waiting[event_id] = _Waiting(loop, loop.create_future(), queue)
        return queue

    def forget(self, event_id: str) -> None:
        with self._lock:
            self._waiting.pop(event_id, None)

    def _route(self, topic: str, value: bytes | None) -> None:
        if topic == self._topic:
            self._deliver(value)
        else:
            self._deliver_delta(value)

    def _deliver(self, value: bytes | None) -> None:
        try:
            reply = self._codec.decode(value)
        except DecodeError as error:
            log.warning("undecodable reply skipped: %s", error.reason)
            return
        with self._lock:
            waiting = self._waiting.pop(str(reply["in_reply_to"]), None)
        if waiting is not None:
            future, queue = waiting.future, waiting.queue
            waiting.loop.call_soon_threadsafe(lambda: None if future.done() else future.set_result(reply))
            if queue is not None:
                waiting.loop.call_soon_threadsafe(queue.put_nowait, ("reply", reply))

    def _deliver_delta(self, value: bytes | None) -> None:
        if self._delta_codec is None:
            return
        try:
            delta = self._delta_codec.decode(value)
        except DecodeError as error:
            log.warning("undecodable reply delta skipped: %s", error.reason)
            return
        with self._lock:
            waiting = self._waiting.get(str(delta["in_reply_to"]))
        if waiting is not None and waiting.queue is not None:
            waiting.loop.call_soon_threadsafe(waiting.queue.put_nowait, ("delta", delta))
