"""The sink's store stopped during load (embedded: the sink process owns chDB) and brought back.

Frozen (SIGSTOP, longer than the consumer session: the group rebalances when it wakes) the topics hold the backlog
and the API keeps accepting; killed mid-write (SIGKILL) `kefu up` restarts it and it resumes from the last
committed offsets. Either way every event is stored exactly once.
"""

from __future__ import annotations

import os
import signal
import time
import uuid

import httpx
import pytest

from tests.integration.conftest import Platform
from tests.integration.faults.support import (
    InboundProducer,
    child_pid,
    conversation_event,
    produce_steadily,
    stored,
    wait_for_new_pid,
    wait_for_stored,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # start-up alone takes minutes on a loaded machine
N = 1200


def _post_event(platform: Platform, event: dict[str, object]) -> int:
    response = httpx.post(
        f"{platform.status['http']}/v1/events",
        headers={"Authorization": f"Bearer {platform.status['api_key']}"},
        json=[{**event, "ts": int(time.time() * 1000)}],
        timeout=30,
    )
    return response.status_code


def test_frozen_store_backs_up_in_the_topics_and_nothing_is_dropped_or_duplicated(platform: Platform) -> None:
    tenant = f"freeze-{uuid.uuid4().hex[:8]}"
    producer = InboundProducer(platform)
    sending = produce_steadily(producer, [conversation_event(tenant, i) for i in range(N)], seconds=6.0)
    time.sleep(1.5)
    sink = child_pid(platform, "sink")
    os.kill(sink, signal.SIGSTOP)
    try:
        frozen_at = stored(platform, tenant)  # the query endpoint is the frozen process: no answer
        assert frozen_at is None
        http_event = conversation_event(tenant, N, prefix="http-")
        assert _post_event(platform, http_event) == 202  # ingest does not depend on the store
        time.sleep(8.0)  # longer than the 6 s session timeout
    finally:
        os.kill(sink, signal.SIGCONT)
    sending.join(30)
    assert producer.flush() == 0
    seen = wait_for_stored(platform, tenant, N + 1, timeout_s=90)
    assert seen == (N + 1, 0), f"(distinct ids stored, ids stored twice) = {seen}; expected ({N + 1}, 0)"
    assert child_pid(platform, "sink") == sink  # it was paused, not replaced


def test_store_killed_during_load_is_restarted_and_resumes_without_loss_or_duplicates(platform: Platform) -> None:
    tenant = f"sinkkill-{uuid.uuid4().hex[:8]}"
    producer = InboundProducer(platform)
    sending = produce_steadily(producer, [conversation_event(tenant, i) for i in range(N)], seconds=6.0)
    time.sleep(2.5)
    sink = child_pid(platform, "sink")
    os.kill(sink, signal.SIGKILL)
    wait_for_new_pid(platform, "sink", sink, timeout_s=15)
    sending.join(30)
    assert producer.flush() == 0
    seen = wait_for_stored(platform, tenant, N, timeout_s=90)
    assert seen == (N, 0), f"(distinct ids stored, ids stored twice) = {seen}; expected ({N}, 0)"
