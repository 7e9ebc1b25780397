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
    judgements: Annotated[
        Path | None,
        typer.Option(help="Questions judged equivalent to queries (e.g. jobs/afqmc_dev_audit.json): adds 'judged'."),
    ] = None,
) -> None:
    """KB = every sentence1, queries = positive sentence2: recall@1, recall@5 and MRR per stage, as JSON."""
    from jobs.eval_retrieval import evaluate_pairs, read_pairs
    from jobs.relevance_judgements import JudgementsError, judged_relevance, read_judgements
    from kefu.settings import get_settings
    from serving.embedding.factory import build_embedder
    from serving.protocols import Embedder
    from serving.rerank.factory import build_reranker

    raw = pairs.read_bytes()
    try:
        pairs_set = read_pairs(raw.decode("utf-8").splitlines())
    except ValueError as error:  # a malformed line or broken UTF-8
        raise _fail(f"{pairs}: {error}") from None
    judged, audited = None, {}
    if judgements is not None:
        try:
            judged_texts = read_judgements(judgements, raw)
        except JudgementsError as error:
            raise _fail(str(error)) from None
        judged = judged_relevance(pairs_set, judged_texts)
        audited = {
            "judgements": {
                "file": str(judgements),
                "audited_queries": len(judged_texts),
                "with_an_equivalent": sum(1 for texts in judged_texts.values() if texts),
            }
        }
    settings = get_settings()
    embedder: Embedder = build_embedder(settings)
    if cache_dir is not None:
        from jobs.embedding_cache import CachedEmbedder

        embedder = CachedEmbedder(embedder, cache_dir)
    reranker = None if no_rerank else build_reranker(settings, embedder)
    result = evaluate_pairs(
        pairs_set,
        embedder,
        reranker,
        candidates=candidates or settings.retrieval_candidates,
        rerank_top=settings.retrieval_rerank_top,
        judged_relevance=judged,
    )
    print(json.dumps({"pairs": str(pairs), "reranker": reranker.model_id if reranker else None, **audited, **result}))


@eval_app.command("dialogue")
def dialogue(
    data: Annotated[
        Path | None, typer.Option("--data", help="Scripted dialogues (JSONL); default: the shipped set.")
    ] = None,
    generator: Annotated[
        str, typer.Option(help="extractive (default, CI time) or llm (embedded GGUF model).")
    ] = "extractive",
) -> None:
    """Replay scripted conversations through the real Responder: slots, hand-offs, groundedness, latency (JSON)."""
    from jobs.eval_dialogue import evaluate
    from kefu.settings import get_settings
    from processors.dialogue.evaluation import EVAL_DATA_FILE, read_dialogues

    if generator not in ("extractive", "llm"):
        raise _fail("--generator must be extractive or llm")
    try:
        dialogues = read_dialogues(data or EVAL_DATA_FILE)
    except (OSError, ValueError) as error:
        raise _fail(str(error)) from None
    if not dialogues:
        raise _fail("no dialogues in the data")
    report = evaluate(get_settings(), dialogues, generator="llm" if generator == "llm" else "extractive")
    print(json.dumps({"data": str(data or EVAL_DATA_FILE), **report}, ensure_ascii=False))


@eval_app.command("thresholds")
def thresholds(
    precision_target: Annotated[float, typer.Option(help="Answered queries that must be right.")] = 0.9,
    write: Annotated[Path | None, typer.Option(help="Write the confidence calibration JSON here.")] = None,
) -> None:
    """Confidence calibration and answer/clarify thresholds on the labelled sample-KB queries (JSON)."""
    from jobs.calibrate_thresholds import calibrate
    from kefu.settings import get_settings

    result = calibrate(get_settings(), precision_target=precision_target)
    if write is not None:
        write.write_text(json.dumps(result["calibration"], indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False))


@eval_app.command("cache-threshold")
def cache_threshold(
    pairs: Annotated[Path, typer.Option(help="AFQMC-format pairs (label 1 = same meaning).", exists=True)],
    limit: Annotated[int, typer.Option(help="Seeded sample of pairs (0 = all).", min=0)] = 1500,
    precision_target: Annotated[float, typer.Option(help="Reused answers that must be for the same question.")] = 0.9,
    cache_dir: Annotated[Path | None, typer.Option(help="Reuse embeddings cached by content hash in this dir.")] = None,
) -> None:
    """The semantic answer cache's cosine threshold for the configured embedder, calibrated on AFQMC (JSON)."""
    from jobs.calibrate_cache import calibrate_cache_threshold, read_pairs
    from kefu.settings import get_settings
    from serving.embedding.factory import build_embedder
    from serving.protocols import Embedder

    embedder: Embedder = build_embedder(get_settings())
    if cache_dir is not None:
        from jobs.embedding_cache import CachedEmbedder

        embedder = CachedEmbedder(embedder, cache_dir)
    result = calibrate_cache_threshold(embedder, read_pairs(pairs, limit or None), precision_target=precision_target)
    print(json.dumps({"pairs_file": str(pairs), **result}))
