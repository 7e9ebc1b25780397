"""The KPI rollup: ``kpi_hourly_rollup`` holds ``kpi_hourly_window`` rows for the hours the sink has written.

A refresh deletes the rollup's rows of the hours ``[since, until)`` and inserts them again from the window view, so
a group that no longer exists (a reply whose message arrived later moves from intent '' to its intent) goes away.
The table is a ReplacingMergeTree read with FINAL, so two sinks refreshing the same hours at once do not double
it. The sink widens each refresh ``lookback`` into the past, because a late handoff or feedback changes the
outcome of a conversation whose messages are in earlier hours.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from clickhouse_connect.driver.client import Client

log = logging.getLogger(__name__)
HOUR_MS = 3_600_000


def format_ms(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def refresh_rollup(client: Client, since_ms: int, until_ms: int) -> None:
    """Recompute the rollup for the whole hours covering ``[since_ms, until_ms)``."""
    since = since_ms - since_ms % HOUR_MS
    until = until_ms - until_ms % HOUR_MS + (HOUR_MS if until_ms % HOUR_MS else 0)
    bounds = {"since": format_ms(since), "until": format_ms(until)}
    client.command(
        "DELETE FROM kpi_hourly_rollup "
        "WHERE hour >= {since:DateTime64(3, 'UTC')} AND hour < {until:DateTime64(3, 'UTC')}",
        parameters=bounds,
    )
    client.command(
        "INSERT INTO kpi_hourly_rollup SELECT *, now64(3) FROM kpi_hourly_window("
        "since = {since:DateTime64(3, 'UTC')}, until = {until:DateTime64(3, 'UTC')})",
        parameters=bounds,
    )


@dataclass
class DirtyHours:
    """The span of record times written since the last refresh."""

    lookback_ms: int
    since_ms: int | None = None
    until_ms: int | None = None

    def add(self, first_ms: int, last_ms: int) -> None:
        self.since_ms = first_ms if self.since_ms is None else min(self.since_ms, first_ms)
        self.until_ms = last_ms + 1 if self.until_ms is None else max(self.until_ms, last_ms + 1)

    def take(self) -> tuple[int, int] | None:
        """The span to refresh (with the lookback), and forget it; None when nothing was written."""
        if self.since_ms is None or self.until_ms is None:
            return None
        span = (self.since_ms - self.lookback_ms, self.until_ms)
        self.since_ms = self.until_ms = None
        return span
