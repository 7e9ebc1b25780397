"""Waiting for the bot's reply to a message the API just ingested.

A background thread reads ``conversations.replies`` from its end (every partition assigned, no consumer group:
each API process needs every reply) and resolves the future registered for the reply's ``in_reply_to``.
Replies nobody waits for are dropped here; they are still on the topic for the other channels and the sink.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from confluent_kafka import OFFSET_END, Consumer, TopicPartition

from schemas.wire import AvroCodec, DecodeError

log = logging.getLogger(__name__)


class ReplyWaiter:
    def __init__(self, bootstrap: str, topic: str, codec: AvroCodec) -> None:
        self._bootstrap, self._topic, self._codec = bootstrap, topic, codec
        self._waiting: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Future[dict[str, Any]]]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start reading in the background (see :meth:`wait_ready`)."""
        self._thread = threading.Thread(target=self._run, name="reply-waiter", daemon=True)
        self._thread.start()

    def wait_ready(self, timeout_s: float) -> bool:
        """Whether the end offsets are assigned, so that no reply produced from now on can be missed."""
        return self._ready.wait(timeout_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def expect(self, event_id: str) -> asyncio.Future[dict[str, Any]]:
        """A future for the BotReply to ``event_id``; register it BEFORE producing the message."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        with self._lock:
            self._waiting[event_id] = (loop, future)
        return future

    def forget(self, event_id: str) -> None:
        with self._lock:
            self._waiting.pop(event_id, None)

    def _run(self) -> None:
        consumer = Consumer(
            {
                "bootstrap.servers": self._bootstrap,
                "group.id": "kefu-api-replies",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 20,  # a customer is waiting for this reply
            }
        )
        try:
            metadata = consumer.list_topics(self._topic, timeout=10)
            partitions = metadata.topics[self._topic].partitions if self._topic in metadata.topics else {}
            consumer.assign([TopicPartition(self._topic, p, OFFSET_END) for p in partitions])
            self._ready.set()
            while not self._stop.is_set():
                for message in consumer.consume(500, 0.2):
                    if message.error() is None:
                        self._deliver(message.value())
        except Exception:
            log.exception("reply waiter stopped")
        finally:
            self._ready.set()
            consumer.close()

    def _deliver(self, value: bytes | None) -> None:
        try:
            reply = self._codec.decode(value)
        except DecodeError as error:
            log.warning("undecodable reply skipped: %s", error.reason)
            return
        with self._lock:
            waiting = self._waiting.pop(str(reply["in_reply_to"]), None)
        if waiting is not None:
            loop, future = waiting
            loop.call_soon_threadsafe(lambda: None if future.done() else future.set_result(reply))
