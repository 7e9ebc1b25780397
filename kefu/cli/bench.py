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
