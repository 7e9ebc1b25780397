"""The supervisor's order when the embedded broker dies: consumers stop before the new broker opens.

A consumer still alive when the restarted Tansu opens rejoins its group there; if it is then stopped mid-join,
Tansu never completes the group and the restarted sink waits for partitions for good. The end-to-end check is
`tests/integration/faults/test_broker_restart.py`; this pins the order with recording stand-ins for the children.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.settings import Settings
from streams import embedded
from streams.embedded import EmbeddedPlatform


class RecordingChild:
    def __init__(self, name: str, calls: list[str]) -> None:
        self.name, self.calls = name, calls

    def stop(self, grace_s: float = 10.0) -> None:
        self.calls.append(f"stop {self.name}")

    def start(self) -> None:
        self.calls.append(f"start {self.name}")

    def alive(self) -> bool:
        return True


def test_consumers_stop_before_the_new_broker_starts_and_start_after_the_topics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    platform = EmbeddedPlatform(Settings(data_dir=tmp_path))
    platform._broker = RecordingChild("broker", calls)  # type: ignore[assignment]
    platform._consumers = [RecordingChild("worker-0", calls), RecordingChild("sink", calls)]  # type: ignore[list-item]
    monkeypatch.setattr(embedded, "port_open", lambda *_: True)
    monkeypatch.setattr(platform, "_create_topics", lambda: calls.append("create topics"))

    platform._restart_broker(-9)

    assert calls == [
        "stop broker",
        "stop worker-0",
        "stop sink",
        "start broker",
        "create topics",
        "start worker-0",
        "start sink",
    ]
