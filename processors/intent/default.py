"""The intent model that ships inside the package, trained on the project's own sample data."""

from __future__ import annotations

from pathlib import Path

from processors.intent.model import IntentModel

__all__ = ["DEFAULT_MODEL_DIR", "SAMPLE_DATA_DIR", "load_default_intent_model"]

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default_model"
SAMPLE_DATA_DIR = Path(__file__).resolve().parent / "sample_data"


def load_default_intent_model() -> IntentModel:
    """Load the shipped model from ``processors/intent/default_model/``.

    Each call reads the files again (milliseconds) and returns an independent model, because
    ``partial_update`` changes a model in place and callers must not see each other's updates.
    """
    return IntentModel.load(DEFAULT_MODEL_DIR)
