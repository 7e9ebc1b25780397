"""A background thread that follows topics from their end, for the API's waits on what the stream produces.

Every partition is assigned and no consumer group joined: each API process needs every record (the replies its
own callers wait for, the agents' messages its own browsers poll), and nothing before the process started.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from confluent_kafka import OFFSET_END, Consumer, TopicPartition

log = logging.getLogger(__name__)

RecordHandler = Callable[[str, bytes | None], None]
"""Called on the follower's thread with each record's topic and value."""


class TopicFollower:
    """Reads ``topics`` from their end and hands every record to ``handle(topic, value)``, until stopped."""

    def __init__(
        self, bootstrap: str, topics: Sequence[str], handle: RecordHandler, *, name: str, group_id: str
    ) -> None:
        """``group_id`` only names the client to the broker (nothing is committed); ``name`` names the thread."""
        self._bootstrap, self._topics, self._handle = bootstrap, list(topics), handle
        self.name, self._group_id = name, group_id
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start reading in the background (see :meth:`wait_ready`)."""
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def wait_ready(self, timeout_s: float) -> bool:
        """Whether the end offsets are assigned, so that no record produced from now on can be missed."""
        return self._ready.wait(timeout_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        consumer = Consumer(
            {
                "bootstrap.servers": self._bootstrap,
                "group.id": self._group_id,
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 20,  # someone is waiting for these records
            }
        )
        try:
            metadata = consumer.list_topics(timeout=10)
            assigned = []
            for topic in self._topics:
                if topic in metadata.topics:
                    assigned += [TopicPartition(topic, p, OFFSET_END) for p in metadata.topics[topic].partitions]
            consumer.assign(assigned)
            self._ready.set()
            while not self._stop.is_set():
                # poll returns at the first record (consume(n, t) waits t for n): a customer watches the deltas
                first = consumer.poll(0.1)
                for message in [first, *consumer.consume(500, 0)] if first is not None else []:
                    if message.error() is None:
                        self._handle(message.topic() or "", message.value())
        except Exception:
            log.exception("%s stopped", self.name)
        finally:
            self._ready.set()
            consumer.close()
