"""The model that ships inside the package, trained on the project's own sample data only."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from processors.sentiment.model import SentimentModel

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default_model"


@lru_cache(maxsize=1)
def load_default_sentiment_model() -> SentimentModel:
    """The shipped model, loaded once per process and shared: callers must not mutate it.

    Rebuild it with ``python -m processors.sentiment.build_default``.
    """
    return SentimentModel.load(DEFAULT_MODEL_DIR)
