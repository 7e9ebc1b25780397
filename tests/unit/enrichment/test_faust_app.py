"""KefuApp drops Faust's per-record work for features Kefu does not use (streams/faust_app.py)."""

from __future__ import annotations

import asyncio

import faust

from streams.faust_app import KefuApp, nothing_to_wait_for


def test_faust_s_monitor_is_not_among_the_sensors_once_dependencies_are_set_up() -> None:
    app = KefuApp("kefu-test", broker="kafka://127.0.0.1:1", web_enabled=False)
    plain = faust.App("plain-test", broker="kafka://127.0.0.1:1", web_enabled=False)
    list(app.on_init_dependencies())
    list(plain.on_init_dependencies())
    assert plain.monitor in set(plain.sensors)  # what Faust does by default
    assert app.monitor not in set(app.sensors)


def test_the_unused_producer_buffer_is_not_checked_before_each_record() -> None:
    app = KefuApp("kefu-test", broker="kafka://127.0.0.1:1", web_enabled=False)
    buffer = app.producer.buffer
    assert buffer.size == 0
    asyncio.run(buffer.wait_until_ebb())  # returns at once, without reading Faust's settings
    assert buffer.wait_until_ebb is nothing_to_wait_for
