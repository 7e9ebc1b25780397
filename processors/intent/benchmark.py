"""Throughput of intent prediction on one core; prints JSON.

Run ``OMP_NUM_THREADS=1 python -m processors.intent.benchmark``. Measures the shipped default model
and, when the shared CIC data is present, a model trained on it (118 labels, a larger vocabulary).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence

from processors.intent.cic import cic_available, cic_splits
from processors.intent.default import SAMPLE_DATA_DIR, load_default_intent_model
from processors.intent.examples import read_intent_examples
from processors.intent.model import IntentModel

__all__ = ["predictions_per_second"]

BATCH_SIZE = 500  # the stream's default worker batch (KEFU_WORKER_BATCH_SIZE)
ROUNDS = 3


def predictions_per_second(model: IntentModel, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> float:
    """Best of ``ROUNDS`` passes over ``texts`` predicted in batches of ``batch_size``."""
    best = 0.0
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for start in range(0, len(texts), batch_size):
            model.predict(texts[start : start + batch_size])
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best


def main() -> None:
    """Print predictions per second for each available model."""
    sample_texts = [text for text, _ in read_intent_examples([SAMPLE_DATA_DIR / "intents.jsonl"])]
    report: dict[str, object] = {
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "batch_size": BATCH_SIZE,
        "default_model_predictions_per_s": round(
            predictions_per_second(load_default_intent_model(), (sample_texts * 40)[:20_000])
        ),
    }
    if cic_available():
        fit, held_out, dev = cic_splits()
        model = IntentModel.train(fit)
        texts = [text for text, _ in held_out + dev] * 5
        report["cic_model_predictions_per_s"] = round(predictions_per_second(model, texts))
        report["cic_texts"] = len(texts)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
