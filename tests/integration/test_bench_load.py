"""`kefu bench load` on the real embedded platform (responder on, models off): a short run loses nothing,
duplicates nothing and sees no 5xx; its figures are what the clients and ClickHouse saw."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import Platform, start_platform, stop_platform

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # start-up alone takes minutes on a loaded machine


@pytest.fixture(scope="module")
def load_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    running = start_platform(Path(tmp_path_factory.mktemp("kefu-load")), KEFU_RESPONDER_ENABLED="true")
    warm = httpx.post(  # the responder loads its retrieval models on the first message; measure after that
        f"{running.status['http']}/v1/chat/completions",
        headers={"Authorization": f"Bearer {running.status['api_key']}", "X-Conversation-Id": "warm-up"},
        json={"model": "kefu", "messages": [{"role": "user", "content": "你好"}]},
        timeout=120,
    )
    assert warm.status_code == 200, warm.text
    yield running
    stop_platform(running)


def test_short_load_run_loses_and_duplicates_nothing_and_sees_no_5xx(load_platform: Platform) -> None:
    result = load_platform.kefu(
        "bench", "load", "--conversations", "4", "--duration", "20", "--turns", "3", "--think-s", "0.3",
        timeout=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    reconciliation = report["reconciliation"]
    assert report["turns_sent"] >= 4 and report["conversations_started"] >= 4, report
    assert report["status_5xx"] == 0 and report["errors_by_status"] == {}, report
    assert report["replies_received"] == report["turns_sent"]
    assert reconciliation["accepted"] == report["turns_sent"]
    assert reconciliation["stored"] == reconciliation["accepted"] and reconciliation["lost"] == 0
    assert reconciliation["duplicated"] == 0 and reconciliation["replies_duplicated"] == 0
    stored_expected = report["replies_received"] - report["silent_replies"]  # silent: an agent held the conversation
    assert reconciliation["replies_stored"] == stored_expected and reconciliation["replies_lost"] == 0
    assert report["latency_ms"]["p50"] is not None and report["throughput_replies_per_s"] > 0
