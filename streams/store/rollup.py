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
import threading

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


class RollupRefresher:
    """Refreshes the rollup on its own thread and chDB session, so writes never wait for it.

    ``mark(first_ms, last_ms)`` records the span of record times just written; every ``interval_s`` the thread
    refreshes the span marked since the last refresh, widened ``lookback_ms`` into the past. A failed refresh is
    marked again and retried at the next interval.
    """

    def __init__(self, client: Client, interval_s: float, lookback_ms: int) -> None:
        self.client, self.interval_s, self.lookback_ms = client, interval_s, lookback_ms
        self.refreshes = 0
        self._span: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kpi-rollup", daemon=True)

    def mark(self, first_ms: int, last_ms: int) -> None:
        with self._lock:
            if self._span is None:
                self._span = (first_ms, last_ms + 1)
            else:
                self._span = (min(self._span[0], first_ms), max(self._span[1], last_ms + 1))

    def take(self) -> tuple[int, int] | None:
        """The span to refresh now (with the lookback), forgotten here; None when nothing was written."""
        with self._lock:
            span, self._span = self._span, None
        return None if span is None else (span[0] - self.lookback_ms, span[1])

    def refresh_once(self) -> None:
        span = self.take()
        if span is None:
            return
        try:
            refresh_rollup(self.client, *span)
            self.refreshes += 1
        except Exception:
            log.exception("KPI rollup refresh failed; retried at the next interval")
            self.mark(span[0] + self.lookback_ms, span[1] - 1)

    def start(self) -> RollupRefresher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=60)
        self.refresh_once()  # what the last flushes wrote

    def _run(self) -> None:
        while not self._stopping.wait(self.interval_s):
            self.refresh_once()
