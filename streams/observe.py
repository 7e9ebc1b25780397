"""What every agent reports about its batches: records consumed, end-to-end latency and consumer lag."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import faust
from faust.types import EventT

from streams import metrics

log = logging.getLogger(__name__)


class ConsumerPositions:
    """Last offset each agent processed per (topic, partition), to report lag against the partition's end."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, int], int] = {}

    def observe(self, agent: str, events: Sequence[EventT[Any]]) -> None:
        """Count a processed batch: records per topic, end-to-end seconds, positions."""
        now = time.time()
        histogram = metrics.END_TO_END_SECONDS.labels(agent)
        per_topic: dict[str, int] = {}
        for event in events:
            message = event.message
            per_topic[message.topic] = per_topic.get(message.topic, 0) + 1
            if message.timestamp:
                histogram.observe(max(0.0, now - message.timestamp))
            key = (message.topic, message.partition)
            self.last[key] = max(message.offset, self.last.get(key, -1))
        for topic, count in per_topic.items():
            metrics.CONSUMED.labels(topic).inc(count)

    def update_lag(self, app: faust.App) -> None:
        """Set the lag gauge of every assigned partition this worker has processed records of."""
        consumer = app.consumer
        for tp in consumer.assignment():
            last = self.last.get((tp.topic, tp.partition))
            if last is None:
                continue
            highwater = consumer.highwater(tp)
            if highwater is not None:
                metrics.CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(max(0, highwater - last - 1))

    def forget_unassigned(self, assigned: set[tuple[str, int]]) -> None:
        for key in [k for k in self.last if k not in assigned]:
            del self.last[key]
            metrics.CONSUMER_LAG.remove(key[0], str(key[1]))


def register_lag_monitor(app: faust.App, positions: ConsumerPositions, interval_s: float = 5.0) -> None:
    """Refresh the lag gauges every ``interval_s`` seconds, and drop those of partitions given away."""

    @app.timer(interval_s, name="consumer-lag")  # type: ignore[untyped-decorator]
    async def refresh_lag() -> None:
        try:
            positions.update_lag(app)
        except Exception:  # lag is best-effort telemetry: never let it stop the worker
            log.exception("could not refresh consumer lag")

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]
    async def reassigned(sender: Any, assigned: set[Any], **_: Any) -> None:
        positions.forget_unassigned({(tp.topic, tp.partition) for tp in assigned})
