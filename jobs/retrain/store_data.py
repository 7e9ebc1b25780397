"""Training data from the ClickHouse store, as Arrow: the labels agents and analysts gave in Feedback.

Corrected intents are ``feedback.corrected_intent`` joined on ``feedback.message_id`` to the masked text of the
message in ``events`` (what the model sees in the stream); the latest correction of a message wins
(:func:`jobs.retrain.data.training_table`). The base set is the shipped training data, as for the CLI. Sentiment
has no label in the contract yet (Feedback carries no polarity), so its new table is empty and a sentiment
retrain compares a refit with the current model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from jobs.retrain.data import TRAINING_SCHEMA, training_table
from jobs.retrain.job import FileTrainingData

__all__ = ["CORRECTED_INTENTS_SQL", "StoreTrainingData"]

Query = Callable[[str, dict[str, Any]], pa.Table]
"""``StoreClient.query``: read-only SQL with ``{name:Type}`` parameters -> Arrow table."""

CORRECTED_INTENTS_SQL = """
SELECT f.message_id AS example_id, e.text AS text, f.corrected_intent AS label,
       concat(toString(f.source), '_correction') AS source, f.tenant_id AS tenant_id, f.ts AS ts
FROM feedback AS f FINAL
INNER JOIN (SELECT event_id, any(text) AS text FROM events FINAL GROUP BY event_id) AS e
    ON e.event_id = f.message_id
WHERE f.corrected_intent IS NOT NULL AND f.corrected_intent != '' AND f.message_id IS NOT NULL
ORDER BY f.ts
"""


@dataclass(frozen=True, slots=True)
class StoreTrainingData:
    """A :class:`jobs.retrain.TrainingData` reading new labels from the store and the base set from files."""

    query: Query
    base: FileTrainingData = field(default_factory=FileTrainingData)

    def tables(self, model: str, trigger: Mapping[str, Any]) -> tuple[pa.Table, pa.Table]:
        base, _ = self.base.tables(model, trigger)
        if model != "intent":
            return base, TRAINING_SCHEMA.empty_table()
        rows = self.query(CORRECTED_INTENTS_SQL, {}).to_pylist()
        return base, training_table(rows)
