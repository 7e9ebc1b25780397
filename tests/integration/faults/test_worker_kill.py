"""A Faust worker SIGKILLed mid-stream is restarted by `kefu up`, and every event lands exactly once in ClickHouse."""

from __future__ import annotations

import os
import signal
import time
import uuid

import pytest

from tests.integration.conftest import Platform
from tests.integration.faults.support import (
    InboundProducer,
    child_pid,
    conversation_event,
    produce_steadily,
    wait_for_new_pid,
    wait_for_stored,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # start-up alone takes minutes on a loaded machine
N = 1200


def test_killed_worker_is_restarted_and_every_event_lands_exactly_once(platform: Platform) -> None:
    tenant = f"kill-{uuid.uuid4().hex[:8]}"
    producer = InboundProducer(platform)
    sending = produce_steadily(producer, [conversation_event(tenant, i) for i in range(N)], seconds=6.0)
    time.sleep(2.0)  # mid-stream: part of the events are enriched, part in flight, part not yet sent
    victim = child_pid(platform, "worker-0")
    os.kill(victim, signal.SIGKILL)

    restarted = wait_for_new_pid(platform, "worker-0", victim, timeout_s=15)
    sending.join(30)
    assert producer.flush() == 0
    seen = wait_for_stored(platform, tenant, N, timeout_s=90)
    assert seen == (N, 0), f"(distinct ids stored, ids stored twice) = {seen}; expected ({N}, 0)"
    assert child_pid(platform, "worker-0") == restarted and platform.process.poll() is None
