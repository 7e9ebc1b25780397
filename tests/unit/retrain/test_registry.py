"""The file registry: monotonic versions, atomic active pointer, promotion and rollback history, mirrors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastavro.validation import validate

from jobs.registry import FileRegistry, InMemoryRegistryStore, ModelCard, RegistryError
from processors.model_watch import ModelWatcher
from schemas.catalog import schema


def writer(content: str):  # type: ignore[no-untyped-def]
    def write(directory: Path) -> None:
        (directory / "model.txt").write_text(content, encoding="utf-8")

    return write


@pytest.fixture
def registry(tmp_path: Path) -> FileRegistry:
    return FileRegistry(tmp_path / "models", clock=lambda: datetime(2026, 11, 21, 8, tzinfo=UTC))


def test_versions_are_numbered_in_order_and_hold_files_and_card(registry: FileRegistry) -> None:
    cards = [registry.register("intent", writer(f"m{i}"), metrics={"macro_f1": i / 10}) for i in range(3)]
    assert [c.version for c in cards] == ["v1", "v2", "v3"]
    assert (registry.artifact_dir("intent", "v2") / "model.txt").read_text() == "m1"
    assert ModelCard.read(registry.artifact_dir("intent", "v3")).metrics == {"macro_f1": 0.2}
    assert registry.models() == ["intent"]
    assert registry.active_version("intent") is None


def test_a_version_number_is_never_reused(registry: FileRegistry) -> None:
    registry.register("intent", writer("a"))
    registry.register("intent", writer("b"))
    for path in registry.artifact_dir("intent", "v2").iterdir():
        path.unlink()
    registry.artifact_dir("intent", "v2").rmdir()
    assert registry.register("intent", writer("c")).version == "v3"


def test_a_failed_write_leaves_no_version(registry: FileRegistry) -> None:
    def broken(directory: Path) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        registry.register("intent", broken)
    assert registry.versions("intent") == []
    assert [p.name for p in (registry.root / "intent").iterdir() if p.name.startswith(".staging")] == []


def test_promote_then_rollback_moves_the_pointer_and_records_events(registry: FileRegistry) -> None:
    mirror = InMemoryRegistryStore()
    registry = FileRegistry(registry.root, stores=[mirror], clock=lambda: datetime(2026, 11, 21, tzinfo=UTC))
    for name in "abc":
        registry.register("intent", writer(name), trigger_id=f"t-{name}")
    first = registry.promote("intent", "v1")
    second = registry.promote("intent", "v3", reason="better")
    assert (second["version"], second["previous_version"], second["trigger_id"]) == ("v3", "v1", "t-c")
    back = registry.rollback("intent", reason="regression in production")
    assert (back["action"], back["version"], back["previous_version"]) == ("rollback", "v1", "v3")
    assert registry.active_version("intent") == "v1"
    assert registry.card("intent", "v3").status == "rolled_back"
    assert registry.card("intent", "v3").reason == "regression in production"
    assert [e["action"] for e in registry.history("intent")] == ["promote", "promote", "rollback"]
    assert len({first["event_id"], second["event_id"], back["event_id"]}) == 3
    for event in (first, second, back):
        assert validate(event, schema("ModelPromoted").parsed, raise_errors=True)
    assert [e["event_id"] for e in mirror.events] == [first["event_id"], second["event_id"], back["event_id"]]
    assert [c.status for c in mirror.versions if c.version == "v3"] == ["candidate", "promoted", "rolled_back"]


def test_rollback_without_history_and_promoting_the_active_version_are_refused(registry: FileRegistry) -> None:
    registry.register("intent", writer("a"))
    with pytest.raises(RegistryError, match="no active version"):
        registry.rollback("intent")
    registry.promote("intent", "v1")
    with pytest.raises(RegistryError, match="already active"):
        registry.promote("intent", "v1")
    with pytest.raises(RegistryError, match="no earlier active version"):
        registry.rollback("intent")
    with pytest.raises(RegistryError, match="no version"):
        registry.promote("intent", "v9")


def test_a_failing_mirror_does_not_block_a_promotion(tmp_path: Path) -> None:
    class Down:
        def record_version(self, card: ModelCard) -> None:
            raise ConnectionError("clickhouse down")

        def record_event(self, event: object) -> None:
            raise ConnectionError("clickhouse down")

    registry = FileRegistry(tmp_path, stores=[Down()])
    registry.register("sentiment", writer("a"))
    registry.promote("sentiment", "v1")
    assert registry.active_version("sentiment") == "v1"


def test_replayed_trigger_finds_its_version(registry: FileRegistry) -> None:
    registry.register("intent", writer("a"), trigger_id="drift-1")
    found = registry.find_by_trigger("intent", "drift-1")
    assert found is not None and found.version == "v1"
    assert registry.find_by_trigger("intent", "drift-2") is None


def test_watcher_loads_only_when_the_pointer_changes(registry: FileRegistry) -> None:
    loads: list[str] = []

    def load(directory: Path) -> str:
        loads.append(directory.name)
        return (directory / "model.txt").read_text()

    watcher = ModelWatcher(registry, "intent", load)
    assert watcher.poll() is None
    registry.register("intent", writer("first"))
    registry.register("intent", writer("second"))
    registry.promote("intent", "v1")
    swap = watcher.poll()
    assert swap is not None and (swap.version, swap.model) == ("v1", "first")
    assert watcher.poll() is None
    registry.promote("intent", "v2")
    registry.rollback("intent")
    assert watcher.poll() is None  # back on v1, which it already has
    registry.promote("intent", "v2")
    swap = watcher.poll()
    assert swap is not None and (swap.version, swap.previous_version, swap.model) == ("v2", "v1", "second")
    assert loads == ["v1", "v2"]


def test_watcher_keeps_its_model_when_the_new_one_cannot_be_loaded(registry: FileRegistry) -> None:
    registry.register("intent", writer("x"))
    registry.promote("intent", "v1")
    watcher = ModelWatcher(registry, "intent", lambda directory: json.loads((directory / "model.txt").read_text()))
    assert watcher.poll() is None
    assert watcher.version is None
