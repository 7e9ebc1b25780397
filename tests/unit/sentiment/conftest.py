from __future__ import annotations

import pytest

from processors.sentiment import SentimentModel, load_default_sentiment_model


@pytest.fixture(scope="session")
def default_model() -> SentimentModel:
    return load_default_sentiment_model()
