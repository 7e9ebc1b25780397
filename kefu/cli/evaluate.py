"""``kefu eval ...``: score a model on labelled data and print the figures as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

eval_app = typer.Typer(help="Evaluate models on labelled data (JSON figures).", no_args_is_help=True)

ModelOption = Annotated[Path | None, typer.Option("--model", help="Model directory; default: the shipped model.")]
DataOption = Annotated[list[Path], typer.Option("--data", help="Labelled file (repeatable).", exists=True)]


def _fail(message: str) -> typer.Exit:
    print(f"kefu eval: {message}", file=sys.stderr)
    return typer.Exit(2)


@eval_app.command("intent")
def eval_intent(data: DataOption, model: ModelOption = None) -> None:
    """Accuracy, macro-F1 and micro-F1 on JSONL rows with `sentence`/`text` and `label`."""
    from kefu.cli.models_io import intent_model
    from processors.intent import evaluate_intent, read_intent_examples

    classifier = intent_model(model)
    try:
        examples = [(text, classifier.label_for(label)) for text, label in read_intent_examples(data)]
    except ValueError as error:
        raise _fail(str(error)) from None
    if not examples:
        raise _fail("no labelled examples in the data")
    print(json.dumps(evaluate_intent(classifier, examples), ensure_ascii=False))


@eval_app.command("sentiment")
def eval_sentiment(data: DataOption, model: ModelOption = None) -> None:
    """Polarity accuracy, macro-F1 and micro-F1 on review CSV/JSONL files or directories."""
    from kefu.cli.models_io import sentiment_model
    from processors.sentiment import evaluate_sentiment, read_sentiment_examples
    from processors.sentiment.reader import SentimentDataError

    try:
        examples = read_sentiment_examples(data)
    except (SentimentDataError, FileNotFoundError) as error:
        raise _fail(str(error)) from None
    if not examples:
        raise _fail("no labelled examples in the data")
    print(json.dumps(evaluate_sentiment(sentiment_model(model), examples), ensure_ascii=False))
