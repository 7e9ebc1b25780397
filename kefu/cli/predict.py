"""``kefu predict intent|sentiment|pii``: JSON lines ``{"text": ...}`` in, one JSON line per input out.

A line that is not JSON or has no text gets ``{"error": ...}`` in its place, so outputs stay aligned
with inputs. Lines are processed in batches, the way the stream runs the models.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

predict_app = typer.Typer(help="Tag JSON lines from standard input.", no_args_is_help=True)

BATCH = 1000
ModelOption = Annotated[Path | None, typer.Option("--model", help="Model directory; default: the shipped model.")]
Tagger = Callable[[Sequence[str]], list[dict[str, Any]]]


def _texts(stream: TextIO) -> Iterator[str | dict[str, Any]]:
    """Each input line's text, or the error object that stands in for it."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            yield {"error": f"line {number}: not JSON ({error.msg})"}
            continue
        text = row.get("text", row.get("sentence")) if isinstance(row, dict) else None
        if not isinstance(text, str):
            yield {"error": f"line {number}: needs a string field 'text'"}
            continue
        yield text


def _run(tag: Tagger) -> None:
    stream, out = sys.stdin, sys.stdout  # looked up per call: tests and embedders swap them
    pending: list[str | dict[str, Any]] = []

    def flush() -> None:
        texts = [item for item in pending if isinstance(item, str)]
        results = iter(tag(texts))
        for item in pending:
            row = next(results) if isinstance(item, str) else item
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        pending.clear()

    for item in _texts(stream):
        pending.append(item)
        if len(pending) >= BATCH:
            flush()
    flush()
    out.flush()


@predict_app.command("intent")
def predict_intent(model: ModelOption = None) -> None:
    """`{"intent", "confidence", "intents": [{"label", "confidence"}]}` per line."""
    from kefu.cli.models_io import intent_model

    classifier = intent_model(model)

    def tag(texts: Sequence[str]) -> list[dict[str, Any]]:
        rows = []
        for prediction in classifier.predict(texts):
            row: dict[str, Any] = {
                "intent": prediction.intent,
                "confidence": round(prediction.confidence, 4),
                "intents": [{"label": label, "confidence": round(p, 4)} for label, p in prediction.intents],
            }
            if (ident := classifier.label_id(prediction.intent)) is not None:
                row["intent_id"] = ident
            rows.append(row)
        return rows

    _run(tag)


@predict_app.command("sentiment")
def predict_sentiment(model: ModelOption = None) -> None:
    """`{"polarity", "score", "emotion", "emotion_confidence"}` per line."""
    from kefu.cli.models_io import sentiment_model

    tagger = sentiment_model(model)

    def tag(texts: Sequence[str]) -> list[dict[str, Any]]:
        return [
            {
                "polarity": p.polarity,
                "score": round(p.score, 4),
                "emotion": p.emotion,
                "emotion_confidence": round(p.emotion_confidence, 4),
            }
            for p in tagger.predict(texts)
        ]

    _run(tag)


@predict_app.command("pii")
def predict_pii() -> None:
    """`{"masked", "entities": [{"type", "start", "end", "placeholder"}]}` per line (offsets into the input)."""
    from processors.pii import PiiMasker

    masker = PiiMasker()

    def tag(texts: Sequence[str]) -> list[dict[str, Any]]:
        rows = []
        for text in texts:
            result = masker.mask(text)
            entities = [
                {"type": e.type, "start": e.start, "end": e.end, "placeholder": e.placeholder} for e in result.entities
            ]
            rows.append({"masked": result.masked, "entities": entities})
        return rows

    _run(tag)
