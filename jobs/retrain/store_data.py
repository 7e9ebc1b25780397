"""Training data from the ClickHouse store, as Arrow: the labels agents and analysts gave in Feedback.

A correction is a Feedback record with ``message_id`` and ``corrected_intent`` or (contract v3)
``corrected_polarity``, joined to the masked text of that customer message in ``events`` (what the model sees in
the stream); the latest correction of a message wins (:func:`jobs.retrain.data.training_table`). The base set is
the shipped training data, as for the CLI. A neutral polarity is kept as a label here; the binary polarity
retrain leaves neutral rows out (:func:`jobs.retrain.retrainers.retrain_sentiment`).

    from streams.store import StoreClient
    store = StoreClient.connect()
    table = corrections(store.query, "sentiment", since_ms=0, tenant="acme")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from jobs.retrain.data import training_table
from jobs.retrain.job import FileTrainingData

__all__ = ["CORRECTED_COLUMNS", "CORRECTIONS_SQL", "StoreTrainingData", "corrections"]

Query = Callable[[str, dict[str, Any]], pa.Table]
"""``StoreClient.query``: read-only SQL with ``{name:Type}`` parameters -> Arrow table."""

CORRECTED_COLUMNS = {"intent": "corrected_intent", "sentiment": "corrected_polarity"}
"""The Feedback column that carries each retrainable model's label."""

_CORRECTIONS_TEMPLATE = """
SELECT f.message_id AS example_id, e.text AS text, f.__LABEL__ AS label,
       concat(toString(f.source), '_correction') AS source, f.tenant_id AS tenant_id, f.ts AS ts
FROM (SELECT * FROM kefu.feedback FINAL
      WHERE __LABEL__ IS NOT NULL AND __LABEL__ != '' AND message_id IS NOT NULL
        AND ts >= fromUnixTimestamp64Milli({since_ms:Int64}, 'UTC')
        AND ({tenant:String} = '*' OR tenant_id = {tenant:String})) AS f
INNER JOIN (SELECT event_id, tenant_id, any(text) AS text FROM kefu.events FINAL
            WHERE role = 'customer' GROUP BY event_id, tenant_id) AS e
    ON e.event_id = f.message_id AND e.tenant_id = f.tenant_id
ORDER BY f.ts
"""

CORRECTIONS_SQL = {model: _CORRECTIONS_TEMPLATE.replace("__LABEL__", name) for model, name in CORRECTED_COLUMNS.items()}
"""Per model: its corrections since ``{since_ms:Int64}`` of ``{tenant:String}`` (``'*'``: every tenant)."""


def corrections(query: Query, model: str, *, since_ms: int = 0, tenant: str = "*") -> pa.Table:
    """Agents' and analysts' corrections of ``model`` (``intent`` or ``sentiment``) as a training table, the
    latest label of each corrected message."""
    if model not in CORRECTIONS_SQL:
        raise ValueError(f"no corrections are recorded for {model!r}; expected one of {', '.join(CORRECTIONS_SQL)}")
    rows = query(CORRECTIONS_SQL[model], {"since_ms": since_ms, "tenant": tenant}).to_pylist()
    return training_table(rows)


@dataclass(frozen=True, slots=True)
class StoreTrainingData:
    """A :class:`jobs.retrain.TrainingData` reading new labels from the store and the base set from files."""

    query: Query
    base: FileTrainingData = field(default_factory=FileTrainingData)

    def tables(self, model: str, trigger: Mapping[str, Any]) -> tuple[pa.Table, pa.Table]:
        base, _ = self.base.tables(model, trigger)
        return base, corrections(self.query, model)
