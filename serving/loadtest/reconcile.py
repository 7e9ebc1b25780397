"""Reconcile what the load clients sent with what ClickHouse holds, by event id.

A message is *accepted* when the API produced it (a 200 with the reply, or a 504 whose reply came too late). Every
accepted message must be in ``events`` exactly once (read with FINAL: the store is idempotent on ``event_id``), and
every answered one must have exactly one row in ``bot_replies``. Lost = accepted but not stored; duplicated =
more than one row after deduplication (the raw row count, before ReplacingMergeTree merges, is reported apart).
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any

from streams.store.client import StoreClient

_EVENTS = (
    "SELECT event_id AS id, count() AS n FROM events FINAL "
    "WHERE tenant_id = {t:String} AND startsWith(event_id, {p:String}) GROUP BY event_id"
)
_RAW_EVENTS = "SELECT count() AS n FROM events WHERE tenant_id = {t:String} AND startsWith(event_id, {p:String})"
_REPLIES = (
    "SELECT in_reply_to AS id, count() AS n FROM bot_replies FINAL "
    "WHERE tenant_id = {t:String} AND startsWith(in_reply_to, {p:String}) GROUP BY in_reply_to"
)
_DEAD_LETTERS = "SELECT count() AS n FROM dead_letters FINAL WHERE ts >= fromUnixTimestamp64Milli({since:Int64})"


def _counts(store: StoreClient, sql: str, params: dict[str, Any]) -> dict[str, int]:
    table = store.query(sql, params).to_pydict()
    return dict(zip(table["id"], (int(n) for n in table["n"]), strict=True))


def _scalar(store: StoreClient, sql: str, params: dict[str, Any]) -> int:
    values = store.query(sql, params).to_pydict()["n"]
    return int(values[0]) if values else 0


def dead_letters_since(store: StoreClient, since_ms: int) -> int:
    """Dead letters the store holds with a timestamp at or after ``since_ms`` (any source, any tenant)."""
    return _scalar(store, _DEAD_LETTERS, {"since": since_ms})


def reconcile(
    store: StoreClient,
    *,
    tenant: str,
    event_prefix: str,
    accepted: Collection[str],
    answered: Collection[str],
    settle_s: float = 30.0,
) -> dict[str, Any]:
    """Counts by event id; waits up to ``settle_s`` for the sink to catch up before calling anything lost."""
    params = {"t": tenant, "p": event_prefix}
    deadline = time.monotonic() + settle_s
    while True:
        events = _counts(store, _EVENTS, params)
        replies = _counts(store, _REPLIES, params)
        lost = [i for i in accepted if i not in events]
        replies_lost = [i for i in answered if i not in replies]
        if (not lost and not replies_lost) or time.monotonic() >= deadline:
            break
        time.sleep(1.0)
    return {
        "accepted": len(accepted),
        "stored": sum(1 for i in accepted if i in events),
        "lost": len(lost),
        "duplicated": sum(1 for n in events.values() if n > 1),
        "raw_rows_before_merge": _scalar(store, _RAW_EVENTS, params),
        "replies_stored": sum(1 for i in answered if i in replies),
        "replies_lost": len(replies_lost),
        "replies_duplicated": sum(1 for n in replies.values() if n > 1),
        "lost_examples": sorted(lost)[:5],
    }
