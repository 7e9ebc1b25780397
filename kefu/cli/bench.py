"""``kefu bench ...``: benchmarks that print their figures as JSON (see docs/benchmarks.md)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

bench_app = typer.Typer(help="Benchmarks; each prints JSON figures.", no_args_is_help=True)


@bench_app.command("enrich")
def bench_enrich(
    events: Annotated[int, typer.Option(help="Events in the throughput phase.", min=100)] = 50_000,
    rate: Annotated[int, typer.Option(help="Offered events/s in the latency phase.", min=1)] = 1000,
    seconds: Annotated[float, typer.Option(help="Length of the latency phase.", min=1)] = 10.0,
    partitions: Annotated[int, typer.Option(help="Partitions of the benchmark topics.", min=1)] = 4,
) -> None:
    """Dedupe -> PII -> intent -> sentiment through Faust and a plain confluent-kafka loop, same events."""
    from streams.bench.enrich import run_bench

    print(json.dumps(run_bench(events, rate, seconds, partitions), indent=1))


@bench_app.command("drift")
def bench_drift(
    seeds: Annotated[int, typer.Option(help="Shifted streams per metric.", min=1)] = 10,
    before: Annotated[int, typer.Option(help="Stationary events before the shift.", min=100)] = 5000,
    after: Annotated[int, typer.Option(help="Events after the shift.", min=100)] = 5000,
    stationary: Annotated[int, typer.Option(help="Events per stationary-only stream.", min=1000)] = 50_000,
) -> None:
    """Detection delay, misses and false alarms per 10k events of the drift detectors on synthetic streams."""
    from processors.drift.benchmark import run_drift_bench

    print(json.dumps(run_drift_bench(seeds=seeds, before=before, after=after, stationary=stationary), indent=1))
