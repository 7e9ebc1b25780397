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


@eval_app.command("retrieval")
def retrieval(
    pairs: Annotated[Path, typer.Option(help="AFQMC-format JSON lines: sentence1, sentence2, label.", exists=True)],
    candidates: Annotated[int | None, typer.Option(help="Candidates per search list; default from settings.")] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Reuse embeddings cached by content hash in this dir.")] = None,
    no_rerank: Annotated[bool, typer.Option(help="Measure dense and fusion only.")] = False,
) -> None:
    """KB = every sentence1, queries = positive sentence2: recall@1, recall@5 and MRR per stage, as JSON."""
    from jobs.eval_retrieval import evaluate_pairs, load_pairs
    from kefu.settings import get_settings
    from serving.embedding.factory import build_embedder
    from serving.protocols import Embedder
    from serving.rerank.factory import build_reranker

    settings = get_settings()
    embedder: Embedder = build_embedder(settings)
    if cache_dir is not None:
        from jobs.embedding_cache import CachedEmbedder

        embedder = CachedEmbedder(embedder, cache_dir)
    reranker = None if no_rerank else build_reranker(settings, embedder)
    result = evaluate_pairs(
        load_pairs(pairs),
        embedder,
        reranker,
        candidates=candidates or settings.retrieval_candidates,
        rerank_top=settings.retrieval_rerank_top,
    )
    print(json.dumps({"pairs": str(pairs), "reranker": reranker.model_id if reranker else None, **result}))
