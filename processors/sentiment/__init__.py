"""Sentiment polarity and customer-service emotion for Chinese-first, English-too messages.

Public surface: :class:`SentimentModel`, :class:`SentimentPrediction`, :func:`read_sentiment_examples`,
:func:`evaluate_sentiment`, :func:`load_default_sentiment_model` and the ``Polarity``/``Emotion`` types.
"""

from processors.sentiment.default import load_default_sentiment_model
from processors.sentiment.evaluation import evaluate_sentiment
from processors.sentiment.model import SentimentModel
from processors.sentiment.reader import read_sentiment_examples
from processors.sentiment.types import Emotion, Polarity, SentimentPrediction

__all__ = [
    "Emotion",
    "Polarity",
    "SentimentModel",
    "SentimentPrediction",
    "evaluate_sentiment",
    "load_default_sentiment_model",
    "read_sentiment_examples",
]
