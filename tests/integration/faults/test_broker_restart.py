"""The embedded broker restarted: it comes back empty (documented loss window), the platform recovers, and a
replay of the same events from upstream is stored once."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Platform, start_platform, stop_platform
from tests.integration.faults.support import (
    InboundProducer,
    alive,
    child_pid,
    conversation_event,
    stored,
    wait_for_new_pid,
    wait_for_stored,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # start-up alone takes minutes on a loaded machine
STORED, IN_FLIGHT, AFTER = 300, 300, 100


@pytest.fixture(scope="module")
def restart_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    running = start_platform(Path(tmp_path_factory.mktemp("kefu-broker-restart")))
    yield running
    stop_platform(running)


def _send(platform: Platform, events: list[dict[str, object]]) -> None:
    producer = InboundProducer(platform)
    for event in events:
        producer.send(event)
    assert producer.flush() == 0


def test_broker_restart_recovers_and_an_upstream_replay_is_not_double_counted(restart_platform: Platform) -> None:
    platform, tenant = restart_platform, f"restart-{uuid.uuid4().hex[:8]}"
    events = [conversation_event(tenant, i) for i in range(STORED + IN_FLIGHT + AFTER)]
    _send(platform, events[:STORED])
    assert wait_for_stored(platform, tenant, STORED, timeout_s=60) == (STORED, 0)

    workers_before, sink_before = child_pid(platform, "worker-0"), child_pid(platform, "sink")
    _send(platform, events[STORED : STORED + IN_FLIGHT])  # on the broker, maybe not yet stored: the loss window
    broker = child_pid(platform, "broker")
    os.kill(broker, signal.SIGKILL)

    wait_for_new_pid(platform, "broker", broker, timeout_s=20)
    wait_for_new_pid(platform, "worker-0", workers_before, timeout_s=40)  # consumers restarted for the new log
    wait_for_new_pid(platform, "sink", sink_before, timeout_s=40)
    assert platform.process.poll() is None, "kefu up gave up after the broker restart"
    status = platform.kefu("status", "--json", "--wait", "30")
    assert status.returncode == 0, status.stdout

    after_restart = stored(platform, tenant)
    assert after_restart is not None and STORED <= after_restart[0] <= STORED + IN_FLIGHT
    print(f"\nstored after the broker restart, before the replay: {after_restart[0]} of {STORED + IN_FLIGHT}")

    # New traffic flows again, and upstream replays everything it sent: each event is stored once.
    deadline = time.monotonic() + 90
    _send(platform, events[STORED + IN_FLIGHT :])
    _send(platform, events)
    seen = wait_for_stored(platform, tenant, len(events), timeout_s=max(deadline - time.monotonic(), 1))
    assert seen == (len(events), 0), f"(distinct ids stored, ids stored twice) = {seen}; expected ({len(events)}, 0)"
    assert all(alive(child_pid(platform, name)) for name in ("broker", "worker-0", "sink", "api"))
