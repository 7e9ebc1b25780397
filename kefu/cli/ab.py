"""``kefu ab report EXPERIMENT``: containment, hand-off rate and CSAT of each variant against the control."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

ab_app = typer.Typer(help="A/B experiments.", no_args_is_help=True)


@ab_app.command("report")
def report(
    experiment: Annotated[str, typer.Argument(help="Experiment name (the part before ':' in BotReply.variant).")],
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", help="Rows: variant, contained, handoff, csat (.parquet/.jsonl); default: the ClickHouse store."
        ),
    ] = None,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's conversations (store only).")] = None,
    control: Annotated[str | None, typer.Option(help="Control variant; default 'control' or the first.")] = None,
    min_n: Annotated[int, typer.Option(help="Rows per arm below which the verdict is 'not enough data'.")] = 100,
    alpha: Annotated[float, typer.Option(help="Significance level.")] = 0.05,
) -> None:
    """Two-proportion z-tests (Newcombe intervals) and Welch's t-test (CSAT), as JSON."""
    from jobs.ab_report import ab_report, read_reply_rows

    if data is not None and not data.is_file():
        print(f"kefu ab: no such file: {data}", file=sys.stderr)
        raise typer.Exit(2)
    rows = read_reply_rows(data) if data is not None else _store_rows(experiment, tenant)
    try:
        result = ab_report(rows, experiment, control=control, alpha=alpha, min_n=min_n)
    except (ValueError, KeyError) as error:
        print(f"kefu ab: {error}", file=sys.stderr)
        raise typer.Exit(2) from None
    print(json.dumps(result, ensure_ascii=False, indent=1))


def _store_rows(experiment: str, tenant: str | None) -> list[dict[str, Any]]:
    """One row per conversation of the experiment, from the ClickHouse store (``jobs.ab_report.AB_ROWS_SQL``)."""
    from jobs.ab_report import AB_ROWS_SQL
    from streams.store import StoreClient, StoreError, StoreUnavailable

    try:
        with StoreClient.connect() as store:
            rows: list[dict[str, Any]] = store.query(
                AB_ROWS_SQL, {"prefix": f"{experiment}:", "tenant": tenant or ""}
            ).to_pylist()
    except (StoreError, StoreUnavailable) as error:
        print(f"kefu ab: {error}", file=sys.stderr)
        raise typer.Exit(2) from None
    return rows


def register(app: typer.Typer) -> None:
    app.add_typer(ab_app, name="ab")
