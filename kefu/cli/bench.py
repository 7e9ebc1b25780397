"""Benchmarks: ``kefu bench ...`` (each prints JSON; figures go to docs/benchmarks.md with the command)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

bench_app = typer.Typer(help="Benchmarks (print JSON).", no_args_is_help=True)


@bench_app.command("sink")
def bench_sink(
    events: Annotated[int, typer.Option(help="EnrichedEvents to write.")] = 200_000,
    batch_rows: Annotated[int, typer.Option(help="Rows per flush.")] = 50_000,
    dsn: Annotated[str | None, typer.Option(help="Store to write to; default a scratch chDB directory.")] = None,
) -> None:
    """Rows/s through the ClickHouse sink: Avro decode, Arrow rows, insert (Kafka not included)."""
    from streams.store.bench import bench_sink as run

    print(json.dumps(run(events, batch_rows, dsn), indent=1))


@bench_app.command("kpi")
def bench_kpi(
    events: Annotated[int, typer.Option(help="Records to generate, all tables together.")] = 10_000_000,
    repeat: Annotated[int, typer.Option(help="Runs per query (the median is reported).")] = 3,
    exact: Annotated[bool, typer.Option(help="Also time the query-time view kpi_hourly (slow).")] = False,
    dsn: Annotated[str | None, typer.Option(help="Store to use; default a scratch chDB directory.")] = None,
) -> None:
    """Generate conversations in the store, refresh the KPI rollup, time the KPI queries."""
    from streams.store.bench import bench_kpi as run

    print(json.dumps(run(events, repeat, dsn, exact), indent=1))
