"""Kefu's Faust app: faust.App without the per-record work that serves only what Kefu does not use.

Two things Faust does for every record are for features Kefu turns off or never calls, and py-spy on a
worker draining a backlog put them at ~5 % of its event loop (docs/benchmarks.md, "Faust's per-record
extras"):

- **the Monitor sensor**: Faust's own statistics (events per second, per-topic counters, commit latency)
  behind its web views, which Kefu disables; Kefu's metrics are its Prometheus counters. Other sensors
  (none by default) still run.
- **waiting for Faust's producer buffer to ebb** before handing each record to the streams: every output
  of Kefu goes through its own confluent-kafka producer (``streams.producer``), so Faust's buffer is never
  used, and checking its size reads a Faust setting through its descriptor machinery each time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import faust
from mode import ServiceT


async def nothing_to_wait_for() -> None:
    """Faust's producer buffer stays empty: Kefu never sends through Faust's producer."""


class KefuApp(faust.App):
    """faust.App without the Monitor sensor and without the per-record check of an unused producer buffer."""

    def on_init_dependencies(self) -> Iterable[ServiceT]:
        dependencies = super().on_init_dependencies()  # adds the Monitor to the sensors
        self.sensors.remove(self.monitor)
        return dependencies

    def _new_producer(self) -> Any:
        producer = super()._new_producer()
        producer.buffer.wait_until_ebb = nothing_to_wait_for  # type: ignore[method-assign]
        return producer
