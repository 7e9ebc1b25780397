"""Corrected intents from ClickHouse as a training table: the query ``jobs.retrain.data`` documents, runnable.

Agents correct an intent with ``POST /v1/feedback`` (``source: agent``, ``message_id``, ``corrected_intent``);
the Feedback record lands in ``kefu.feedback`` and the corrected message's masked text is in ``kefu.events``.

    from streams.store import StoreClient
    store = StoreClient.connect()
    table = corrected_intents(lambda sql, p: store.query(sql, p).to_pylist(), since_ms=0)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from jobs.retrain.data import training_table

__all__ = ["CORRECTED_INTENTS_SQL", "corrected_intents"]

CORRECTED_INTENTS_SQL = """
SELECT f.message_id AS example_id, e.text AS text, f.corrected_intent AS label,
       concat(toString(f.source), '_correction') AS source, f.tenant_id AS tenant_id, f.ts AS ts
FROM (SELECT * FROM kefu.feedback FINAL
      WHERE corrected_intent IS NOT NULL AND ts >= fromUnixTimestamp64Milli({since_ms:Int64}, 'UTC')
        AND ({tenant:String} = '*' OR tenant_id = {tenant:String})) AS f
INNER JOIN (SELECT event_id, text, tenant_id FROM kefu.events FINAL WHERE role = 'customer') AS e
    ON e.event_id = f.message_id AND e.tenant_id = f.tenant_id
"""

Query = Callable[[str, dict[str, Any]], list[dict[str, Any]]]


def corrected_intents(query: Query, *, since_ms: int, tenant: str = "*") -> pa.Table:
    """Agents' and analysts' intent corrections since ``since_ms`` (of ``tenant``; '*' = all) as
    :data:`jobs.retrain.data.TRAINING_SCHEMA` rows, the latest label per corrected message."""
    return training_table(query(CORRECTED_INTENTS_SQL, {"since_ms": since_ms, "tenant": tenant}))
