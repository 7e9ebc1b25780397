"""Intent classification of customer messages (pure logic: no Kafka, no Faust).

Public surface: :class:`IntentModel`, :class:`IntentPrediction`, :func:`read_intent_examples`,
:func:`evaluate_intent` and :func:`load_default_intent_model`.
"""

from processors.intent.default import load_default_intent_model
from processors.intent.evaluation import evaluate_intent
from processors.intent.examples import (
    label_ids_of,
    read_intent_examples,
    read_label_descriptions,
    with_label_descriptions,
)
from processors.intent.model import IntentModel
from processors.intent.params import IntentParams
from processors.intent.prediction import UNKNOWN_INTENT, IntentPrediction

__all__ = [
    "UNKNOWN_INTENT",
    "IntentModel",
    "IntentParams",
    "IntentPrediction",
    "evaluate_intent",
    "label_ids_of",
    "load_default_intent_model",
    "read_intent_examples",
    "read_label_descriptions",
    "with_label_descriptions",
]
