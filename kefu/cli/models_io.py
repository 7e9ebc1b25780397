"""Loading the models the CLI commands use: a ``--model`` directory, the configured one, or the shipped one."""

from __future__ import annotations

from pathlib import Path

from kefu.settings import get_settings
from processors.intent import IntentModel
from processors.sentiment import SentimentModel


def intent_model(directory: Path | None) -> IntentModel:
    from processors.intent import load_default_intent_model

    chosen = directory or get_settings().intent_model_dir
    return IntentModel.load(chosen) if chosen else load_default_intent_model()


def sentiment_model(directory: Path | None) -> SentimentModel:
    from processors.sentiment import load_default_sentiment_model

    chosen = directory or get_settings().sentiment_model_dir
    return SentimentModel.load(chosen) if chosen else load_default_sentiment_model()
