"""``kefu retrain intent|sentiment``: the retrain job by hand, on labelled files or the store's corrections."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

retrain_app = typer.Typer(help="Retrain a model and promote it if it beats the active one.", no_args_is_help=True)

NewOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--data",
        help="New labelled rows, Parquet or JSONL (text, label); default: the corrections in the ClickHouse store.",
        exists=True,
    ),
]
BaseOption = Annotated[
    list[Path] | None, typer.Option("--base", help="Base training set; default: the shipped sample data.", exists=True)
]
RegistryOption = Annotated[
    Path | None, typer.Option("--registry", help="Registry directory; default: <KEFU_DATA_DIR>/models.")
]


def _run(
    model: str,
    data: list[Path] | None,
    base: list[Path] | None,
    registry: Path | None,
    margin: float,
    min_class_size: int,
    seed: int,
) -> None:
    from jobs.retrain import FileTrainingData, RetrainJob, RetrainParams, StoreTrainingData, TrainingData
    from kefu.cli.models import open_registry

    store = open_registry(registry, publish=True)
    params = RetrainParams(margin=margin, min_class_size=min_class_size, seed=seed)
    base_files = FileTrainingData((), tuple(base or ()))
    source: TrainingData = (
        FileTrainingData(tuple(data), tuple(base or ())) if data else StoreTrainingData(_store_query(), base_files)
    )
    job = RetrainJob(store, source, params)
    trigger = {"event_id": f"manual-{model}-{int(time.time() * 1000)}", "model": model, "detector": "manual"}
    try:
        result = job.handle(trigger)
    except (ValueError, RuntimeError) as error:  # bad data, or the store is not reachable
        print(f"kefu retrain: {error}", file=sys.stderr)
        raise typer.Exit(2) from None
    summary = {
        "action": result.action,
        "reason": result.reason,
        "version": result.card.version if result.card else None,
        "outcome": result.outcome.summary() if result.outcome else None,
        "promoted_event": result.promoted_event,
    }
    print(json.dumps(summary, ensure_ascii=False))


def _store_query() -> Callable[[str, dict[str, Any]], Any]:
    def query(sql: str, params: dict[str, Any]) -> Any:
        from streams.store import StoreClient

        with StoreClient.connect() as client:
            return client.query(sql, params)

    return query


Margin = Annotated[float, typer.Option(help="Macro-F1 gain the candidate needs.")]
MinClass = Annotated[int, typer.Option(help="Held-out examples that make a class 'large' (may not regress).")]
Seed = Annotated[int, typer.Option(help="Seed of the held-out split and training; keep it fixed.")]


@retrain_app.command("intent")
def retrain_intent_command(
    data: NewOption = None,
    base: BaseOption = None,
    registry: RegistryOption = None,
    margin: Margin = 0.01,
    min_class_size: MinClass = 20,
    seed: Seed = 0,
) -> None:
    """Train an intent candidate on base + new rows; promote it if it wins on the held-out slice."""
    _run("intent", data, base, registry, margin, min_class_size, seed)


@retrain_app.command("sentiment")
def retrain_sentiment_command(
    data: NewOption = None,
    base: BaseOption = None,
    registry: RegistryOption = None,
    margin: Margin = 0.01,
    min_class_size: MinClass = 20,
    seed: Seed = 0,
) -> None:
    """Train a polarity candidate (labels 1/0 or positive/negative); promote it if it wins."""
    _run("sentiment", data, base, registry, margin, min_class_size, seed)


def register(app: typer.Typer) -> None:
    app.add_typer(retrain_app, name="retrain")
