"""``kefu retrain intent|sentiment``: the retrain job by hand, on labelled files, against the registry."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

retrain_app = typer.Typer(help="Retrain a model and promote it if it beats the active one.", no_args_is_help=True)

NewOption = Annotated[
    list[Path], typer.Option("--data", help="New labelled rows, Parquet or JSONL (text, label).", exists=True)
]
BaseOption = Annotated[
    list[Path] | None, typer.Option("--base", help="Base training set; default: the shipped sample data.", exists=True)
]
RegistryOption = Annotated[
    Path | None, typer.Option("--registry", help="Registry directory; default: <KEFU_DATA_DIR>/models.")
]


def _run(
    model: str,
    data: list[Path],
    base: list[Path] | None,
    registry: Path | None,
    margin: float,
    min_class_size: int,
    seed: int,
) -> None:
    from jobs.registry import FileRegistry
    from jobs.retrain import FileTrainingData, RetrainJob, RetrainParams
    from kefu.settings import get_settings

    store = FileRegistry(registry or get_settings().data_dir / "models")
    params = RetrainParams(margin=margin, min_class_size=min_class_size, seed=seed)
    job = RetrainJob(store, FileTrainingData(tuple(data), tuple(base or ())), params)
    trigger = {"event_id": f"manual-{model}-{int(time.time() * 1000)}", "model": model, "detector": "manual"}
    try:
        result = job.handle(trigger)
    except ValueError as error:
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


Margin = Annotated[float, typer.Option(help="Macro-F1 gain the candidate needs.")]
MinClass = Annotated[int, typer.Option(help="Held-out examples that make a class 'large' (may not regress).")]
Seed = Annotated[int, typer.Option(help="Seed of the held-out split and training; keep it fixed.")]


@retrain_app.command("intent")
def retrain_intent_command(
    data: NewOption,
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
    data: NewOption,
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
