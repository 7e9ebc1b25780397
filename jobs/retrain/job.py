"""The retrain job: a ``RetrainTrigger`` in, a registered candidate and maybe a ``ModelPromoted`` datum out.

Consumes ``models.retrain`` (the wiring calls :meth:`RetrainJob.handle` per trigger) and backs
``kefu retrain intent|sentiment``. Steps: skip a trigger that already produced a version (replays), load the
active model (or the shipped one), fetch base and new labelled tables, retrain and compare, register the candidate
with its card (status ``promoted`` or ``rejected`` and the reason), promote it when it won.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import pyarrow as pa

from jobs.registry import FileRegistry, ModelCard, load_active_model
from jobs.retrain.retrainers import RetrainOutcome, retrain_intent, retrain_sentiment

__all__ = ["FileTrainingData", "JobResult", "RetrainJob", "RetrainParams", "TrainingData"]

RETRAINABLE = ("intent", "sentiment")


class TrainingData(Protocol):
    """Where the job gets its labelled tables (``jobs.retrain.data.TRAINING_SCHEMA``) for a model."""

    def tables(self, model: str, trigger: Mapping[str, Any]) -> tuple[pa.Table, pa.Table]:
        """``(base, new)``: the standing training set and the labels gathered since (corrections, ...)."""
        ...


@dataclass(frozen=True, slots=True)
class FileTrainingData:
    """Tables read from files: the shipped sample data as base unless given, new rows from Parquet/JSONL."""

    new_paths: tuple[Path, ...] = ()
    base_paths: tuple[Path, ...] = ()

    def tables(self, model: str, trigger: Mapping[str, Any]) -> tuple[pa.Table, pa.Table]:
        from jobs.retrain.data import TRAINING_SCHEMA, read_training_table

        base_paths = self.base_paths or (_shipped_base(model),)
        base = pa.concat_tables([read_training_table(p, source="base") for p in base_paths])
        new = [read_training_table(p, source="file") for p in self.new_paths]
        return base, pa.concat_tables(new) if new else TRAINING_SCHEMA.empty_table()


def _shipped_base(model: str) -> Path:
    if model == "intent":
        from processors.intent.default import SAMPLE_DATA_DIR

        return SAMPLE_DATA_DIR / "intents.jsonl"
    from processors.sentiment.sample_data import POLARITY_TRAIN_FILE

    return POLARITY_TRAIN_FILE


@dataclass(frozen=True, slots=True)
class RetrainParams:
    """The promotion bar and split; see :func:`jobs.retrain.retrain_intent`. Keep seed and fraction fixed in a
    deployment: the held-out slice is then never trained on by any version."""

    held_out_fraction: float = 0.2
    margin: float = 0.01
    min_class_size: int = 20
    tolerance: float = 0.02
    seed: int = 0


@dataclass(frozen=True, slots=True)
class JobResult:
    """What handling one trigger did. ``promoted_event`` is the ``ModelPromoted`` datum to publish, if any."""

    action: Literal["promoted", "rejected", "replayed", "unsupported", "skipped", "failed"]
    reason: str
    card: ModelCard | None = None
    outcome: RetrainOutcome | None = None
    promoted_event: dict[str, Any] | None = None


class RetrainJob:
    """Retrains on triggers against a :class:`~jobs.registry.FileRegistry`."""

    def __init__(self, registry: FileRegistry, data: TrainingData, params: RetrainParams = RetrainParams()) -> None:
        self.registry = registry
        self.data = data
        self.params = params

    def handle(self, trigger: Mapping[str, Any]) -> JobResult:
        """Handle one ``RetrainTrigger`` datum (drift-made or manual)."""
        model, trigger_id = str(trigger["model"]), str(trigger["event_id"])
        if model not in RETRAINABLE:
            return JobResult("unsupported", f"no automatic retraining for model {model!r}; it needs a person")
        done = self.registry.find_by_trigger(model, trigger_id)
        if done is not None:
            return JobResult("replayed", f"trigger {trigger_id} already produced {model} {done.version}", done)
        parent, current = load_active_model(self.registry, model)
        base, new = self.data.tables(model, trigger)
        # A model trained outside the registry (the shipped one) saw the base part of the held-out slice.
        reference: Literal["current", "refit"] = "current" if parent is not None else "refit"
        p = self.params
        if model == "intent":
            outcome = retrain_intent(
                base, new, current, held_out_fraction=p.held_out_fraction, margin=p.margin,
                min_class_size=p.min_class_size, tolerance=p.tolerance, seed=p.seed, reference=reference,
            )  # fmt: skip
        else:
            outcome = retrain_sentiment(
                base, new, current, held_out_fraction=p.held_out_fraction, margin=p.margin,
                min_class_size=p.min_class_size, tolerance=p.tolerance, seed=p.seed, reference=reference,
            )  # fmt: skip
        card = self.registry.register(
            model,
            outcome.candidate.save,
            metrics={f"held_out_{name}": value for name, value in outcome.candidate_metrics.items()},
            parent_version=parent or "shipped",
            data_sha256=outcome.data_sha256,
            trigger_id=trigger_id,
            status="candidate",
            reason=outcome.reason,
            details={**outcome.summary(), "trigger": _plain(trigger)},
        )
        if not outcome.promoted:
            card = self.registry.set_status(model, card.version, "rejected", outcome.reason)
            return JobResult("rejected", outcome.reason, card, outcome)
        event = self.registry.promote(model, card.version, reason=outcome.reason, trigger_id=trigger_id)
        return JobResult("promoted", outcome.reason, self.registry.card(model, card.version), outcome, event)


def _plain(trigger: Mapping[str, Any]) -> dict[str, Any]:
    """The trigger with JSON-ready values (fastavro decodes timestamps to datetimes)."""
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in trigger.items()}
