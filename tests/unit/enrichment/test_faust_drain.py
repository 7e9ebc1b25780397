"""The eager hand-over of fetched records to Faust's streams (streams/faust_drain.py).

``hand_over`` runs against a real ``mode`` service (the base of Faust's consumer), so ``wait_first`` is the one
Faust uses; only the record callback is a small coroutine of the test's.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from faust.transport.consumer import Consumer
from mode import Service
from mode.utils.queues import FlowControlEvent, ThrowableQueue

from streams import faust_drain
from streams.faust_drain import hand_over, hand_over_eagerly, wait_for_room


class FlowService(Service):
    """What ``hand_over`` uses of Faust's consumer: ``wait_first`` and the ``suspend_flow`` event."""

    def __init__(self) -> None:
        super().__init__()
        self.suspend_flow = asyncio.Event()
        self.races = 0

    async def wait_first(self, *coros: Any, timeout: Any = None) -> Any:
        self.races += 1
        return await super().wait_first(*coros, timeout=timeout)


def test_a_record_handed_over_without_waiting_makes_no_race() -> None:
    async def scenario() -> tuple[list[str], int, int]:
        consumer, seen = FlowService(), []
        tasks_before = len(asyncio.all_tasks())

        async def callback(message: str) -> None:
            seen.append(message)

        await hand_over(consumer, callback, "m1")  # type: ignore[arg-type]
        return seen, consumer.races, len(asyncio.all_tasks()) - tasks_before

    seen, races, new_tasks = asyncio.run(scenario())
    assert seen == ["m1"]
    assert races == 0
    assert new_tasks == 0


def test_a_record_that_must_wait_is_finished_where_it_stopped() -> None:
    async def scenario() -> tuple[list[str], int]:
        consumer, seen = FlowService(), []
        room = asyncio.get_running_loop().create_future()

        async def callback(message: str) -> None:
            seen.append(f"start {message}")
            seen.append(f"put {message} {await room}")

        asyncio.get_running_loop().call_later(0.01, room.set_result, "after waiting")
        await hand_over(consumer, callback, "m1")  # type: ignore[arg-type]
        return seen, consumer.races

    seen, races = asyncio.run(scenario())
    assert seen == ["start m1", "put m1 after waiting"]  # started once, not run again from the top
    assert races == 1


def test_a_waiting_record_is_given_up_when_the_flow_is_suspended() -> None:
    async def scenario() -> list[str]:
        consumer, seen = FlowService(), []

        async def callback(message: str) -> None:
            try:
                await asyncio.Event().wait()  # a buffer that never frees
            except asyncio.CancelledError:
                seen.append(f"cancelled {message}")
                raise

        asyncio.get_running_loop().call_later(0.01, consumer.suspend_flow.set)
        await asyncio.wait_for(hand_over(consumer, callback, "m1"), 5)  # type: ignore[arg-type]
        await asyncio.sleep(0)  # let the cancellation reach the callback
        return seen

    assert asyncio.run(scenario()) == ["cancelled m1"]


def test_an_error_after_waiting_reaches_the_drain_loop() -> None:
    async def scenario() -> None:
        consumer = FlowService()

        async def callback(message: str) -> None:
            await asyncio.sleep(0.001)
            raise ValueError(message)

        await hand_over(consumer, callback, "broken")  # type: ignore[arg-type]

    with pytest.raises(ValueError, match="broken"):
        asyncio.run(scenario())


def test_with_the_flow_suspended_the_record_goes_through_faust_s_race() -> None:
    async def scenario() -> tuple[list[str], int]:
        consumer, seen = FlowService(), []
        consumer.suspend_flow.set()

        async def callback(message: str) -> None:
            seen.append(message)

        await hand_over(consumer, callback, "m1")  # type: ignore[arg-type]
        return seen, consumer.races

    _, races = asyncio.run(scenario())
    assert races == 1


class Channel:
    """What ``wait_for_room`` uses of a Faust channel: its queue, the one Faust's streams read."""

    def __init__(self, maxsize: int) -> None:
        self.queue: ThrowableQueue[int] = ThrowableQueue(maxsize=maxsize, flow_control=FlowControlEvent())


def test_a_buffer_with_room_is_not_waited_on() -> None:
    async def scenario() -> int:
        consumer, channel = FlowService(), Channel(10)
        channel.queue.put_nowait(1)
        await wait_for_room(consumer, [channel])  # type: ignore[arg-type]
        return consumer.races

    assert asyncio.run(scenario()) == 0


def test_a_full_buffer_is_waited_on_until_the_stream_has_drained_it_to_the_pressure_drop_size() -> None:
    async def scenario() -> tuple[list[int], int]:
        consumer, channel = FlowService(), Channel(10)
        for n in range(10):
            channel.queue.put_nowait(n)
        sizes: list[int] = []

        async def stream() -> None:  # takes a record at a time, as Faust's stream does
            while not channel.queue.empty():
                await asyncio.sleep(0.001)
                channel.queue.get_nowait()
                sizes.append(channel.queue.qsize())

        taking = asyncio.create_task(stream())
        await wait_for_room(consumer, [channel])  # type: ignore[arg-type]
        waited_until = channel.queue.qsize()
        await taking
        return [waited_until, *sizes[:1]], consumer.races

    (waited_until, first), races = asyncio.run(scenario())
    assert races == 1  # one wait for the whole refill, not one per record
    assert first == 9
    assert waited_until <= 4  # Faust's pressure-drop size: 40 % of 10


def test_a_wait_for_room_ends_when_the_flow_is_suspended() -> None:
    async def scenario() -> int:
        consumer, channel = FlowService(), Channel(2)
        channel.queue.put_nowait(1)
        channel.queue.put_nowait(2)  # full, and nothing takes from it
        asyncio.get_running_loop().call_later(0.01, consumer.suspend_flow.set)
        await asyncio.wait_for(wait_for_room(consumer, [channel]), 5)  # type: ignore[arg-type]
        return channel.queue.qsize()

    assert asyncio.run(scenario()) == 2


def test_installed_only_on_the_faust_version_it_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Consumer, "_drain_messages", Consumer._drain_messages)  # restored after the test
    monkeypatch.setattr(faust_drain.faust, "__version__", "0.99.0")
    assert hand_over_eagerly() is False
    assert Consumer._drain_messages is not faust_drain._drain_messages
    monkeypatch.setattr(faust_drain.faust, "__version__", faust_drain.FAUST_VERSION)
    assert hand_over_eagerly() is True
    assert Consumer._drain_messages is faust_drain._drain_messages
