"""``kefu train intent|sentiment``: fit a model on labelled files and save it to a directory."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

train_app = typer.Typer(help="Train a model from labelled data.", no_args_is_help=True)

DataOption = Annotated[list[Path], typer.Option("--data", help="Labelled file (repeatable).", exists=True)]
OutOption = Annotated[Path, typer.Option("--out", help="Directory the model is written to.")]


def _fail(message: str) -> typer.Exit:
    print(f"kefu train: {message}", file=sys.stderr)
    return typer.Exit(2)


@train_app.command("intent")
def train_intent(
    data: DataOption,
    out: OutOption,
    seed: Annotated[int, typer.Option(help="Seed of folds and solver.")] = 0,
) -> None:
    """Train the intent model on JSONL rows with `sentence` (or `text`) and `label` (CIC format)."""
    from processors.intent import IntentModel, label_ids_of, read_intent_examples, with_label_descriptions

    try:
        examples = read_intent_examples(data)
    except ValueError as error:
        raise _fail(str(error)) from None
    if len({label for _, label in examples}) < 2:
        raise _fail("intent training needs examples of at least two labels")
    started = time.perf_counter()
    model = IntentModel.train(with_label_descriptions(examples), seed=seed, label_ids=label_ids_of(data))
    model.save(out)
    summary = {
        "model": str(out),
        "examples": len(examples),
        "labels": len(model.labels),
        "seconds": round(time.perf_counter() - started, 1),
        "cross_validation": model.metadata["metrics"],
    }
    print(json.dumps(summary, ensure_ascii=False))


@train_app.command("sentiment")
def train_sentiment(
    data: Annotated[
        list[Path], typer.Option("--data", help="CSV or JSONL file or a directory of them (repeatable).", exists=True)
    ],
    out: OutOption,
    seed: Annotated[int, typer.Option(help="Seed of the solver.")] = 0,
) -> None:
    """Train the polarity model on CSV (`label,review`) and JSONL (`sentence`, `label`) review data."""
    from processors.sentiment import SentimentModel, read_sentiment_examples
    from processors.sentiment.reader import SentimentDataError

    try:
        examples = read_sentiment_examples(data)
        started = time.perf_counter()
        model = SentimentModel.train(examples, seed=seed)
    except (SentimentDataError, ValueError) as error:
        raise _fail(str(error)) from None
    model.save(out)
    summary = {
        "model": str(out),
        "examples": len(examples),
        "version": model.metadata["version"],
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(summary, ensure_ascii=False))
