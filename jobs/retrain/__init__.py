"""Retraining: labelled Arrow tables in, a candidate judged against the current model, promotion in the registry.

Public surface: :func:`retrain_intent`, :func:`retrain_sentiment`, :class:`RetrainOutcome`, the training-table
schema and builders (:data:`TRAINING_SCHEMA`, :func:`training_table`, :func:`read_training_table`), and the job
(:class:`RetrainJob`, :class:`RetrainParams`, :class:`TrainingData`, :class:`FileTrainingData`, :class:`JobResult`),
the store's labels (:class:`StoreTrainingData`, :func:`corrections`) and the trigger runner the retrain agent uses
(:class:`TriggerRunner`).
"""

from jobs.retrain.data import (
    TRAINING_SCHEMA,
    examples_of,
    read_training_table,
    stratified_split,
    table_from_examples,
    training_table,
)
from jobs.retrain.decision import ClassDelta, PromotionRule, decide
from jobs.retrain.job import FileTrainingData, JobResult, RetrainJob, RetrainParams, TrainingData
from jobs.retrain.retrainers import RetrainOutcome, retrain_intent, retrain_sentiment
from jobs.retrain.runner import TriggerRunner
from jobs.retrain.store_data import CORRECTIONS_SQL, StoreTrainingData, corrections

__all__ = [
    "CORRECTIONS_SQL",
    "TRAINING_SCHEMA",
    "ClassDelta",
    "FileTrainingData",
    "JobResult",
    "PromotionRule",
    "RetrainJob",
    "RetrainOutcome",
    "RetrainParams",
    "StoreTrainingData",
    "TrainingData",
    "TriggerRunner",
    "corrections",
    "decide",
    "examples_of",
    "read_training_table",
    "retrain_intent",
    "retrain_sentiment",
    "stratified_split",
    "table_from_examples",
    "training_table",
]
