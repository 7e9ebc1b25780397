"""The model registry on disk: ``<root>/<model>/<version>/`` holds the model files and ``card.json``.

Layout of one model's directory::

    <root>/intent/v1/         model files + card.json
    <root>/intent/v2/
    <root>/intent/ACTIVE      JSON pointer {"version", "previous_version", "event_id", "ts"}, replaced atomically
    <root>/intent/history.jsonl   every promotion and rollback, as ModelPromoted datums, appended
    <root>/intent/.lock       flock'ed by every writer

Versions are ``v1``, ``v2``, ... in registration order and never reused: a version directory appears whole (written
under a temporary name, then renamed) and the last number handed out is kept in ``LAST``. Readers (the workers'
:class:`processors.model_watch.ModelWatcher`) only read ``ACTIVE`` and version directories, so they never see a
half-written model.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jobs.registry.card import CARD_FILE, ModelCard, VersionStatus
from jobs.registry.store import RegistryStore

__all__ = ["FileRegistry", "RegistryError"]

log = logging.getLogger(__name__)

ACTIVE_FILE = "ACTIVE"
HISTORY_FILE = "history.jsonl"
LAST_FILE = "LAST"
LOCK_FILE = ".lock"


class RegistryError(ValueError):
    """A registry operation that cannot be done (unknown version, nothing to roll back to, ...)."""


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


class FileRegistry:
    """Versions, cards and the active pointer of each model, in a directory.

    Parameters
    ----------
    root
        ``<data_dir>/models``.
    stores
        Mirrors told of every card and event (see :class:`~jobs.registry.store.RegistryStore`).
    clock
        Current time (tests pass a fixed one).
    """

    def __init__(
        self,
        root: Path,
        *,
        stores: Sequence[RegistryStore] = (),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.root = Path(root)
        self._stores = tuple(stores)
        self._clock = clock

    # --- reading -------------------------------------------------------------------------------------------

    def models(self) -> list[str]:
        """Names of the models that have at least one version."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and any(self._version_dirs(p.name)))

    def versions(self, model: str) -> list[ModelCard]:
        """Every version's card, oldest first."""
        return sorted((ModelCard.read(d) for d in self._version_dirs(model)), key=lambda card: card.number)

    def card(self, model: str, version: str) -> ModelCard:
        directory = self.artifact_dir(model, version)
        if not (directory / CARD_FILE).is_file():
            raise RegistryError(f"{model} has no version {version!r}")
        return ModelCard.read(directory)

    def find_by_trigger(self, model: str, trigger_id: str) -> ModelCard | None:
        """The version a trigger already produced, so a replayed trigger does not train twice."""
        return next((card for card in self.versions(model) if card.trigger_id == trigger_id), None)

    def artifact_dir(self, model: str, version: str) -> Path:
        return self.root / model / version

    def active_stamp(self, model: str) -> str | None:
        """The raw content of the active pointer: cheap to read, changes with every promotion or rollback."""
        try:
            return (self.root / model / ACTIVE_FILE).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def active_version(self, model: str) -> str | None:
        stamp = self.active_stamp(model)
        return None if stamp is None else str(json.loads(stamp)["version"])

    def history(self, model: str) -> list[dict[str, Any]]:
        """Promotions and rollbacks (``ModelPromoted`` datums), oldest first."""
        path = self.root / model / HISTORY_FILE
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    # --- writing -------------------------------------------------------------------------------------------

    def register(
        self,
        model: str,
        write: Callable[[Path], None],
        *,
        metrics: Mapping[str, float] | None = None,
        parent_version: str | None = None,
        data_sha256: str = "",
        trigger_id: str | None = None,
        status: VersionStatus = "candidate",
        reason: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> ModelCard:
        """Store a new version: ``write(directory)`` saves the model files into a fresh directory."""
        model_dir = self.root / model
        model_dir.mkdir(parents=True, exist_ok=True)
        staging = model_dir / f".staging-{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            write(staging)
            with self._locked(model):
                number = self._last_number(model) + 1
                version = f"v{number}"
                card = ModelCard(
                    model=model,
                    version=version,
                    status=status,
                    created_at=self._clock().isoformat(timespec="seconds"),
                    metrics={key: float(value) for key, value in (metrics or {}).items()},
                    parent_version=parent_version,
                    data_sha256=data_sha256,
                    trigger_id=trigger_id,
                    reason=reason,
                    artifact_uri=str(self.artifact_dir(model, version).resolve()),
                    details=dict(details or {}),
                )
                (staging / CARD_FILE).write_text(_card_json(card), encoding="utf-8")
                os.rename(staging, self.artifact_dir(model, version))
                _atomic_write(model_dir / LAST_FILE, f"{number}\n")
        finally:
            if staging.exists():
                shutil.rmtree(staging)
        self._mirror_version(card)
        return card

    def set_status(self, model: str, version: str, status: VersionStatus, reason: str | None = None) -> ModelCard:
        """Record what became of a version (its card is rewritten atomically)."""
        with self._locked(model):
            return self._set_status(model, version, status, reason)

    def promote(
        self, model: str, version: str, *, reason: str | None = None, trigger_id: str | None = None
    ) -> dict[str, Any]:
        """Make ``version`` active; returns the ``ModelPromoted`` datum to publish on ``models.promoted``."""
        with self._locked(model):
            card = self.card(model, version)
            previous = self.active_version(model)
            if previous == version:
                raise RegistryError(f"{model} {version} is already active")
            self._set_status(model, version, "promoted", reason)
            return self._activate(card, previous, "promote", trigger_id if trigger_id is not None else card.trigger_id)

    def rollback(self, model: str, to_version: str | None = None, *, reason: str = "") -> dict[str, Any]:
        """Make the previously active version (or ``to_version``) active again; the current one is rolled back."""
        with self._locked(model):
            current = self.active_version(model)
            if current is None:
                raise RegistryError(f"{model} has no active version to roll back")
            target = to_version or self._version_before(model, current)
            if target is None:
                raise RegistryError(f"{model} {current} has no earlier active version to roll back to")
            if target == current:
                raise RegistryError(f"{model} {target} is already active")
            card = self.card(model, target)
            if card.status == "rejected":
                raise RegistryError(f"{model} {target} was rejected ({card.reason}); promote it explicitly instead")
            self._set_status(model, current, "rolled_back", reason or f"rolled back to {target}")
            return self._activate(card, current, "rollback", None)

    # --- internals ------------------------------------------------------------------------------------------

    def _version_dirs(self, model: str) -> Iterator[Path]:
        model_dir = self.root / model
        if model_dir.is_dir():
            yield from (p for p in model_dir.iterdir() if p.name.startswith("v") and (p / CARD_FILE).is_file())

    def _last_number(self, model: str) -> int:
        last_file = self.root / model / LAST_FILE
        recorded = int(last_file.read_text(encoding="utf-8")) if last_file.is_file() else 0
        existing = [int(p.name[1:]) for p in self._version_dirs(model) if p.name[1:].isdigit()]
        return max([recorded, *existing])

    def _version_before(self, model: str, current: str) -> str | None:
        """The version that was active before ``current`` became active the last time."""
        for event in reversed(self.history(model)):
            if event["version"] == current:
                previous = event["previous_version"]
                return None if previous is None else str(previous)
        return None

    def _set_status(self, model: str, version: str, status: VersionStatus, reason: str | None) -> ModelCard:
        card = self.card(model, version).with_status(status, reason)
        _atomic_write(self.artifact_dir(model, version) / CARD_FILE, _card_json(card))
        self._mirror_version(card)
        return card

    def _activate(self, card: ModelCard, previous: str | None, action: str, trigger_id: str | None) -> dict[str, Any]:
        model_dir = self.root / card.model
        sequence = len(self.history(card.model))
        key = f"{card.model}\x1f{card.version}\x1f{action}\x1f{sequence}"
        event = {
            "event_id": "model-" + hashlib.sha256(key.encode()).hexdigest()[:24],
            "model": card.model,
            "version": card.version,
            "previous_version": previous,
            "artifact_uri": card.artifact_uri,
            "metrics": {name: float(value) for name, value in card.metrics.items()},
            "trigger_id": trigger_id,
            "action": action,
            "ts": int(self._clock().timestamp() * 1000),
        }
        with (model_dir / HISTORY_FILE).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(event, ensure_ascii=False) + "\n")
        pointer = {
            "version": card.version,
            "previous_version": previous,
            "event_id": event["event_id"],
            "ts": event["ts"],
        }
        _atomic_write(model_dir / ACTIVE_FILE, json.dumps(pointer, sort_keys=True))
        for store in self._stores:
            try:
                store.record_event(event)
            except Exception:  # a mirror must never block a promotion: the files are the truth
                log.exception("registry mirror %r failed to record %s", store, event["event_id"])
        return event

    def _mirror_version(self, card: ModelCard) -> None:
        for store in self._stores:
            try:
                store.record_version(card)
            except Exception:
                log.exception("registry mirror %r failed to record %s %s", store, card.model, card.version)

    @contextlib.contextmanager
    def _locked(self, model: str) -> Iterator[None]:
        model_dir = self.root / model
        model_dir.mkdir(parents=True, exist_ok=True)
        with (model_dir / LOCK_FILE).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _card_json(card: ModelCard) -> str:
    return json.dumps(card.to_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
