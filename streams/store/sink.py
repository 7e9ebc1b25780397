"""ClickHouseSink: buffer decoded records per table, write them as Arrow batches (the add/flush shape).

``add`` buffers; ``due`` says when to ``flush``: ``max_rows`` buffered, or the oldest record waiting
``max_delay_s``. ``flush`` writes every table's buffer with one Arrow insert each, or raises and keeps the
buffers (the caller retries; it commits consumer offsets only after a flush succeeded). Each insert carries a
deduplication token derived from its event ids, so retrying a batch whose insert did land is a no-op; replays in
other batches are collapsed by the ReplacingMergeTree key (read with FINAL).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from schemas.catalog import schema
from streams.store.rows import RowConverter
from streams.store.tables import TABLES, Table

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

log = logging.getLogger(__name__)


@dataclass
class Rejected:
    """A record the store could not turn into a row (it then goes to the dead letters)."""

    table: str
    record: dict[str, Any]
    reason: str


@dataclass
class FlushResult:
    rows: dict[str, int] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)
    #: Smallest and largest ``ts`` (epoch ms) of the conversation records written, for the KPI rollup.
    span_ms: tuple[int, int] | None = None


def dedup_token(table: str, event_ids: Sequence[str]) -> str:
    return f"{table}:{hashlib.sha256(chr(0).join(event_ids).encode()).hexdigest()}"


def _ms(value: Any) -> int:
    return int(value) if isinstance(value, int) else int(value.timestamp() * 1000)


class ClickHouseSink:
    """Writes records of the contract to their tables in batches."""

    def __init__(
        self,
        client: Client,
        *,
        max_rows: int = 50_000,
        max_delay_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        tables: Sequence[Table] = TABLES,
    ) -> None:
        self.client = client
        self.max_rows, self.max_delay_s, self.clock = max_rows, max_delay_s, clock
        self.tables = {t.name: t for t in tables}
        self.converters = {t.name: RowConverter(schema(t.record), t.excluded) for t in tables}
        self.buffers: dict[str, list[dict[str, Any]]] = {t.name: [] for t in tables}
        self.buffered = 0
        self.oldest: float | None = None

    def add(self, table: str, record: dict[str, Any]) -> None:
        self.buffers[table].append(record)
        self.buffered += 1
        if self.oldest is None:
            self.oldest = self.clock()

    def due(self) -> bool:
        if not self.buffered:
            return False
        return self.buffered >= self.max_rows or self.clock() - (self.oldest or 0.0) >= self.max_delay_s

    def flush(self) -> FlushResult:
        """Write every buffer (events first, so replies find their messages); raises and keeps what failed."""
        result = FlushResult()
        for name, records in self.buffers.items():
            if not records:
                continue
            arrow, rejected = self._convert(name, records)
            result.rejected += rejected
            if arrow is not None and arrow.num_rows:
                ids = arrow.column("event_id").to_pylist()
                self.client.insert_arrow(name, arrow, settings={"insert_deduplication_token": dedup_token(name, ids)})
                result.rows[name] = arrow.num_rows
                if name in ("events", "bot_replies", "handoffs", "feedback"):
                    times = [_ms(r["ts"]) for r in records]
                    low, high = min(times), max(times)
                    if result.span_ms is not None:
                        low, high = min(low, result.span_ms[0]), max(high, result.span_ms[1])
                    result.span_ms = (low, high)
            self.buffered -= len(records)
            self.buffers[name] = []
        self.oldest = None
        return result

    def drop(self) -> None:
        """Forget what is buffered (after a rebalance the records come again, to whoever owns them)."""
        for name in self.buffers:
            self.buffers[name] = []
        self.buffered, self.oldest = 0, None

    def _convert(self, name: str, records: list[dict[str, Any]]) -> tuple[Any, list[Rejected]]:
        converter = self.converters[name]
        try:
            return converter.to_arrow(records), []
        except Exception:  # a record the Arrow types refuse: find it, keep the rest
            log.exception("converting %d records for %s failed; converting one by one", len(records), name)
        good: list[dict[str, Any]] = []
        rejected: list[Rejected] = []
        for record in records:
            try:
                converter.to_arrow([record])
                good.append(record)
            except Exception as error:
                rejected.append(Rejected(name, record, f"{type(error).__name__}: {error}"[:500]))
        return (converter.to_arrow(good) if good else None), rejected
