"""A cheaper hand-over of fetched records from Faust's consumer to its streams.

faust-streaming 0.15.3 hands every fetched record to the streams with
``await self.wait_first(callback(record), self.suspend_flow.wait())``: four asyncio tasks, an
``asyncio.wait`` and three cancellations per record, so that a record whose hand-over blocks (a full stream
buffer, flow control during a rebalance) can be given up when the flow is suspended. The hand-over almost never
blocks, and py-spy on the worker draining a backlog put that wrapper at a tenth of the event loop's time: about
half as much as decoding, enriching and encoding the record itself (docs/benchmarks.md, 2026-11-22).

:func:`hand_over_eagerly` installs Faust's own drain loop with two changes:

- the hand-over coroutine is first run in place. If it finishes without waiting (the usual case) no task is
  made; if it has to wait, what is left of it goes through ``wait_first`` exactly as before, so a suspended flow
  still cuts it short.
- before a record is handed over, a full stream buffer is waited on once, until it has drained to 40 %
  (:func:`wait_for_room`). Draining a backlog, the buffer is full all the time, and Faust would otherwise
  hand every record over alone, as a slot frees, with a task and a wait each: ~10 % of the worker's events per
  second (docs/benchmarks.md, "Faust's per-record extras").

Other Faust versions keep their own loop (a warning says so), as this copies 0.15.3's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Coroutine, Generator, Iterable
from typing import Any, cast

import faust
from faust.transport.consumer import CONSUMER_FETCHING, Consumer
from mode import Service, ServiceT

log = logging.getLogger(__name__)

FAUST_VERSION = "0.15.3"
YIELD_EVERY = 100  # records between two yields to the event loop, as in Faust


class _Resumed(Awaitable[Any]):
    """The rest of a coroutine that already ran up to its first wait: awaiting this goes on from there."""

    def __init__(self, coro: Coroutine[Any, Any, Any], waiting_on: Any) -> None:
        self._coro, self._waiting_on = coro, waiting_on

    def __await__(self) -> Generator[Any, Any, Any]:
        waiting_on = self._waiting_on
        while True:
            try:
                sent = yield waiting_on
            except BaseException as error:  # cancellation and errors go into the coroutine, as ``await`` does
                try:
                    waiting_on = self._coro.throw(error)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    waiting_on = self._coro.send(sent)
                except StopIteration as done:
                    return done.value


async def _finish(coro: Coroutine[Any, Any, Any], waiting_on: Any) -> Any:
    return await _Resumed(coro, waiting_on)


async def hand_over(consumer: Consumer, callback: Any, message: Any) -> None:
    """``callback(message)`` run in place; only if it must wait is it raced against a suspended flow."""
    if consumer.suspend_flow.is_set():
        await consumer.wait_first(callback(message), consumer.suspend_flow.wait())
        return
    coro = callback(message)
    try:
        waiting_on = coro.send(None)
    except StopIteration:
        return  # handed over without waiting: the usual case
    await consumer.wait_first(_finish(coro, waiting_on), consumer.suspend_flow.wait())


async def wait_for_room(consumer: Consumer, channels: Iterable[Any]) -> None:
    """If a stream buffer ``channels`` feed is full, wait once until it has drained to Faust's pressure-drop size
    (40 %), or until the flow is suspended.

    Faust hands a record that finds its buffer full over with a task of its own and a wait; with a backlog the
    buffer is always full, so without this every record would wait alone for one free slot (and our race
    against a suspended flow would add four tasks more). Waiting here for the buffer to drain lets the
    records after it go in without waiting at all. The drain is signalled through the queue's own
    pressure-drop callbacks, which Faust calls as the stream takes records.
    """
    for channel in channels:
        queue = channel.queue
        if queue.full():
            drained = asyncio.Event()
            queue._pending_pressure_drop_callbacks.add(drained.set)
            await consumer.wait_first(drained.wait(), consumer.suspend_flow.wait())


async def _drain_messages(self: Consumer, fetcher: ServiceT) -> None:  # noqa: PLR0915 - Faust's loop, kept whole
    # faust-streaming 0.15.3 Consumer._drain_messages (BSD licence), with the hand-over of each record
    # replaced by ``wait_for_room`` + ``hand_over``; kept otherwise line for line so the two can be compared.
    callback = self.callback
    getmany = self.getmany
    consumer_should_stop = cast(Service, self)._stopped.is_set
    fetcher_should_stop = cast(Service, fetcher)._stopped.is_set

    get_read_offset = self._read_offset.__getitem__
    set_read_offset = self._read_offset.__setitem__
    set_flag = self.diag.set_flag
    unset_flag = self.diag.unset_flag
    commit_every = self._commit_every
    acks_enabled_for = self.app.topics.acks_enabled_for
    channels_of = self.app.topics._tp_index.get  # type: ignore[attr-defined]  # the conductor: tp -> its channels

    num_since_yield = 0
    sleep = asyncio.sleep

    try:
        while not (consumer_should_stop() or fetcher_should_stop()):
            set_flag(CONSUMER_FETCHING)
            ait = getmany(timeout=1.0)
            await self.sleep(0)
            if not self.should_stop:
                async for tp, message in ait:
                    num_since_yield += 1
                    if num_since_yield > YIELD_EVERY:
                        await sleep(0)
                        num_since_yield = 0
                    offset = message.offset
                    r_offset = get_read_offset(tp)
                    if r_offset is None or offset >= r_offset:
                        gap = offset - (r_offset or 0)
                        if gap > 1 and r_offset and acks_enabled_for(message.topic):
                            await self._add_gap(tp, r_offset + 1, offset)
                        if commit_every is not None and self._n_acked >= commit_every:
                            self._n_acked = 0
                            await self.commit()
                        await wait_for_room(self, channels_of(tp, ()))
                        await hand_over(self, callback, message)
                        set_read_offset(tp, offset)
                    else:
                        self.log.dev("DROPPED MESSAGE ROFF %r: k=%r v=%r", offset, message.key, message.value)
                unset_flag(CONSUMER_FETCHING)
    except self.consumer_stopped_errors:
        if self.transport.app.should_stop:
            self.log.info("Broker stopped consumer, shutting down...")
            return
        raise
    except asyncio.CancelledError:
        if self.transport.app.should_stop:
            self.log.info("Consumer shutting down for user cancel.")
            return
        raise
    except Exception as exc:
        self.log.exception("Drain messages raised: %r", exc)
        raise
    finally:
        unset_flag(CONSUMER_FETCHING)


def hand_over_eagerly() -> bool:
    """Install the drain loop above in Faust's consumer; False (and a warning) on another Faust version."""
    if faust.__version__ != FAUST_VERSION:
        log.warning("faust-streaming %s, not %s: keeping its own drain loop", faust.__version__, FAUST_VERSION)
        return False
    Consumer._drain_messages = _drain_messages  # type: ignore[method-assign]
    return True
