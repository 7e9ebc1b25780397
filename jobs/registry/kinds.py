"""Loading and saving each kind of model the registry holds, and falling back to the shipped one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from jobs.registry.files import FileRegistry
from processors.intent import IntentModel, load_default_intent_model
from processors.sentiment import SentimentModel, load_default_sentiment_model

__all__ = ["MODEL_LOADERS", "load_active_model", "load_model"]

MODEL_LOADERS: dict[str, Callable[[Path], Any]] = {"intent": IntentModel.load, "sentiment": SentimentModel.load}
_SHIPPED: dict[str, Callable[[], Any]] = {
    "intent": load_default_intent_model,
    "sentiment": load_default_sentiment_model,
}


def load_model(kind: str, directory: Path) -> Any:
    """Read a ``kind`` model from a version directory."""
    try:
        loader = MODEL_LOADERS[kind]
    except KeyError:
        raise ValueError(f"no loader for model kind {kind!r}; known: {sorted(MODEL_LOADERS)}") from None
    return loader(directory)


def load_active_model(registry: FileRegistry, kind: str) -> tuple[str | None, Any]:
    """``(version, model)`` of the active version, or ``(None, shipped model)`` when none was promoted yet."""
    version = registry.active_version(kind)
    if version is None:
        return None, _SHIPPED[kind]()
    return version, load_model(kind, registry.artifact_dir(kind, version))
