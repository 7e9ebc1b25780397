"""``kefu export``: a table's deduplicated rows since a time, to Parquet, month by month (bounded memory).

>>> parse_since("2026-11-01", now_ms=0)
1793491200000
>>> parse_since("2d", now_ms=172_800_000)
0
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path

import pyarrow.parquet as pq

from streams.store.client import StoreClient
from streams.store.rollup import format_ms
from streams.store.tables import TABLE_NAMED

_RELATIVE = re.compile(r"^(\d+)([dhm])$")
_UNIT_MS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000}


def parse_since(text: str, now_ms: int) -> int:
    """Epoch ms of an ISO date/datetime (UTC unless it says otherwise) or of ``7d`` / ``12h`` / ``30m`` ago."""
    relative = _RELATIVE.match(text.strip())
    if relative:
        return now_ms - int(relative.group(1)) * _UNIT_MS[relative.group(2)]
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--since {text!r} is not an ISO date/time (2026-11-01, 2026-11-01T08:00) or 7d/12h/30m"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


def _month_starts(since_ms: int, until_ms: int) -> list[int]:
    start = dt.datetime.fromtimestamp(since_ms / 1000, tz=dt.UTC)
    bounds = [since_ms]
    month = dt.datetime(start.year, start.month, 1, tzinfo=dt.UTC)
    while True:
        month = dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=dt.UTC)
        ms = int(month.timestamp() * 1000)
        if ms >= until_ms:
            break
        bounds.append(ms)
    return [*bounds, until_ms]


def export_table(store: StoreClient, table: str, since_ms: int, until_ms: int, out: Path) -> int:
    """Write ``table``'s rows with time in ``[since_ms, until_ms)`` to ``out``; returns the rows written."""
    if table not in TABLE_NAMED:
        raise ValueError(f"unknown table {table!r}; known: {', '.join(sorted(TABLE_NAMED))}")
    column = TABLE_NAMED[table].time_column
    sql = (
        f"SELECT * FROM {table} FINAL WHERE {column} >= {{lo:DateTime64(3, 'UTC')}} "
        f"AND {column} < {{hi:DateTime64(3, 'UTC')}} ORDER BY {column}"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    bounds = _month_starts(since_ms, until_ms)
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for lo, hi in itertools.pairwise(bounds):
            chunk = store.query(sql, {"lo": format_ms(lo), "hi": format_ms(hi)})
            if writer is None:
                writer = pq.ParquetWriter(out, chunk.schema, compression="zstd")
            if chunk.num_rows:
                writer.write_table(chunk.cast(writer.schema))
                rows += chunk.num_rows
        if writer is None:  # an empty range: still a readable file with the table's columns
            empty = store.query(f"SELECT * FROM {table} LIMIT 0")
            writer = pq.ParquetWriter(out, empty.schema, compression="zstd")
    finally:
        if writer is not None:
            writer.close()
    return rows
