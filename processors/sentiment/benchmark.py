"""Measure batched prediction speed on one core and print JSON.

Run ``OMP_NUM_THREADS=1 python -m processors.sentiment.benchmark [--model DIR] [--reviews FILE]``.
The process pins itself to one CPU, so the figure is per core whatever the machine. Messages are the
shipped customer-service test messages (short chat lines); with ``--reviews`` also review texts.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

from processors.sentiment.default import load_default_sentiment_model
from processors.sentiment.model import SentimentModel
from processors.sentiment.reader import read_sentiment_examples
from processors.sentiment.sample_data import TEST_FILE, read_labelled_messages


def predictions_per_second(model: SentimentModel, texts: Sequence[str], *, batch_size: int, rounds: int) -> float:
    """Best of ``rounds`` timings of predicting all ``texts`` in batches of ``batch_size``."""
    model.predict(texts[:batch_size])  # warm caches before timing
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for start in range(0, len(texts), batch_size):
            model.predict(texts[start : start + batch_size])
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=None, help="a saved model; default: the shipped one")
    parser.add_argument("--reviews", type=Path, default=None, help="a review file to time as well")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--n", type=int, default=20_000, help="texts per timing round")
    arguments = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    model = load_default_sentiment_model() if arguments.model is None else SentimentModel.load(arguments.model)
    messages = [message.text for message in read_labelled_messages(TEST_FILE)]
    corpora: dict[str, list[str]] = {"cs_messages": messages}
    if arguments.reviews is not None:
        corpora["reviews"] = [text for text, _ in read_sentiment_examples([arguments.reviews])]
    figures: dict[str, object] = {
        "model": model.metadata.get("version"),
        "n_features": model.featurizer.size,
        "batch_size": arguments.batch_size,
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
    }
    for name, pool in corpora.items():
        texts = [pool[i % len(pool)] for i in range(arguments.n)]
        figures[name] = {
            "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
            "predictions_per_second": round(
                predictions_per_second(model, texts, batch_size=arguments.batch_size, rounds=3)
            ),
        }
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
