"""The two shapes every windowed stage is wired in: a batch agent and a flush timer.

A batch agent takes up to ``KEFU_WORKER_BATCH_SIZE`` events (or what arrived within ``KEFU_WORKER_BATCH_MS``),
hands them to a framework-free stage and delivers what the stage returns before the batch's offsets are
acknowledged (at-least-once). A flush timer asks the stage, every interval, for what its windows let go (KPI
snapshots, drift triggers) and delivers it; what cannot be delivered goes back to the stage for the next tick
rather than being lost.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence

import faust

from kefu.settings import Settings
from streams import metrics
from streams.observe import ConsumerPositions
from streams.producer import BatchProducer, OutRecord
from streams.records import InRecord, in_record

log = logging.getLogger(__name__)

BatchStep = Callable[[Sequence[InRecord]], list[OutRecord]]
"""A stage's batch method: the records of a batch in, the records to produce out."""


def register_batch_agent(
    app: faust.App,
    source: faust.TopicT,
    name: str,
    step: BatchStep,
    settings: Settings,
    producer: BatchProducer,
    positions: ConsumerPositions,
) -> None:
    """Add agent ``name``: batches of ``source`` through ``step``, its outputs delivered before the next batch."""
    batch_size, batch_s = settings.worker_batch_size, settings.worker_batch_ms / 1000

    @app.agent(source, name=name)
    async def batches(stream: faust.StreamT[bytes]) -> None:
        async for events in stream.take_events(batch_size, within=batch_s):  # type: ignore[attr-defined]
            with metrics.BATCH_SECONDS.labels(name).time():
                outputs = step([in_record(e) for e in events])
                await producer.deliver_async(outputs)
            positions.observe(name, events)
            count_produced(outputs)


def register_flush_timer(
    app: faust.App,
    name: str,
    interval_s: float,
    close: Callable[[], list[OutRecord]],
    keep: Callable[[list[OutRecord]], None],
    producer: BatchProducer,
    what: str,
) -> None:
    """Add timer ``name``: every ``interval_s`` deliver ``close()``; on failure ``keep`` them for the next tick.

    ``what`` names the records in the log line (e.g. "KPI snapshots").
    """

    @app.timer(interval_s, name=name)  # type: ignore[untyped-decorator]
    async def flush() -> None:
        records = close()
        try:
            await producer.deliver_async(records)
        except Exception:  # keep them for the next tick rather than lose them
            log.exception("could not deliver %d %s; retrying on the next tick", len(records), what)
            keep(records)
            return
        count_produced(records)


def count_produced(records: Sequence[OutRecord]) -> None:
    """Move the produced-records counter of each topic by its records."""
    for topic, n in Counter(record.topic for record in records).items():
        metrics.PRODUCED.labels(topic).inc(n)
