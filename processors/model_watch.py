"""Hot swap of promoted models: notice that a model's active version changed and hand back the new model.

A Faust timer (every few seconds) or a ``models.promoted`` handler calls :meth:`ModelWatcher.poll`; when it
returns a model, the caller assigns it to ``EnrichmentPipeline.intent_model`` (or ``sentiment_model``) between
batches. No restart: the next batch is tagged by the new version. The check reads one small pointer file, so
polling costs microseconds; a model is loaded only when the pointer's content changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["ActiveVersions", "ModelWatcher", "Swap", "refresh_pipeline"]

log = logging.getLogger(__name__)

M = TypeVar("M")


class ActiveVersions(Protocol):
    """What the watcher reads of a registry (``jobs.registry.FileRegistry`` is one)."""

    def active_stamp(self, model: str) -> str | None:
        """Content of the active pointer; any change means a promotion or rollback happened."""
        ...

    def active_version(self, model: str) -> str | None: ...

    def artifact_dir(self, model: str, version: str) -> Path: ...


@dataclass(frozen=True, slots=True)
class Swap(Generic[M]):
    """A newly active model: its name, version, the version it replaces and the loaded model."""

    name: str
    version: str
    previous_version: str | None
    model: M


class ModelWatcher(Generic[M]):
    """Watches one model name in a registry.

    Parameters
    ----------
    registry
        Where the active pointer lives.
    name
        Model name (``intent``, ``sentiment``).
    load
        Reads a model from a version directory (``IntentModel.load``).
    """

    def __init__(self, registry: ActiveVersions, name: str, load: Callable[[Path], M]) -> None:
        self._registry = registry
        self._name = name
        self._load = load
        self._stamp: str | None = None
        self.version: str | None = None

    def poll(self) -> Swap[M] | None:
        """The newly active model if the pointer changed since the last call, else ``None``.

        A model that fails to load is logged and skipped until the pointer changes again: a broken artifact
        must never stop the workers, which keep the model they have.
        """
        stamp = self._registry.active_stamp(self._name)
        if stamp is None or stamp == self._stamp:
            return None
        self._stamp = stamp
        version = self._registry.active_version(self._name)
        if version is None or version == self.version:
            return None
        try:
            model = self._load(self._registry.artifact_dir(self._name, version))
        except Exception:
            log.exception("cannot load %s %s; keeping %s", self._name, version, self.version)
            return None
        previous, self.version = self.version, version
        return Swap(self._name, version, previous, model)


def refresh_pipeline(pipeline: Any, watchers: dict[str, ModelWatcher[Any]]) -> list[Swap[Any]]:
    """Poll each watcher and assign a new model to ``pipeline.<name>_model`` (``intent_model``, ...).

    Call between batches. Returns the swaps made, for logs and the ``model_versions`` metrics.
    """
    swaps: list[Swap[Any]] = []
    for name, watcher in watchers.items():
        swap = watcher.poll()
        if swap is not None:
            setattr(pipeline, f"{name}_model", swap.model)
            log.info("%s model swapped to %s (was %s)", name, swap.version, swap.previous_version)
            swaps.append(swap)
    return swaps
