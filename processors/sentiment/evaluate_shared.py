"""Train on the shared review corpora and print held-out figures as JSON.

Run ``python -m processors.sentiment.evaluate_shared [--data DIR] [--out DIR]``. Figures: binary accuracy
and F1 on a hashed tenth of online_shopping_10_cats (never trained on) and on the EPRSTMT dev split, with
and without the lexicon, plus the customer-service test messages (neutral recall, emotion accuracy).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from processors.sentiment.build_default import cs_test_figures
from processors.sentiment.evaluation import evaluate_sentiment
from processors.sentiment.model import SentimentModel
from processors.sentiment.shared_data import SHARED_SENTIMENT_DIR, Examples, shared_splits


def model_only_accuracy(model: SentimentModel, examples: Examples) -> float:
    """Accuracy of the statistical model alone, to show what the lexicon adds or costs."""
    probabilities = model.model_probabilities([text for text, _ in examples])
    labels = np.asarray([label for _, label in examples])
    return float(((probabilities > 0.5).astype(int) == labels).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=SHARED_SENTIMENT_DIR)
    parser.add_argument("--out", type=Path, default=None, help="also save the trained model here")
    arguments = parser.parse_args()

    train, held_out, dev = shared_splits(arguments.data)
    started = time.perf_counter()
    model = SentimentModel.train(train, seed=0)
    train_seconds = time.perf_counter() - started
    figures: dict[str, object] = {
        "n_train": len(train),
        "train_seconds": round(train_seconds, 1),
        "n_features": model.featurizer.size,
        "neutral_half_width": model.neutral_half_width,
    }
    for name, examples in (("shopping_held_out", held_out), ("eprstmt_dev", dev)):
        metrics = evaluate_sentiment(model, examples)
        metrics["model_only_accuracy"] = model_only_accuracy(model, examples)
        rounded = {key: round(value, 4) for key, value in metrics.items()}
        figures[name] = rounded
        model.add_metrics(name, rounded)
    figures["cs_test"] = cs_test_figures(model)
    model.add_metrics("cs_test", figures["cs_test"])  # type: ignore[arg-type]
    if arguments.out is not None:
        model.save(arguments.out)
        figures["saved_to"] = str(arguments.out)
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
