"""Rebuild the shipped default model from the package's own sample data.

Run ``python -m processors.sentiment.build_default``. The output is deterministic: the same sample data
gives byte-identical files, so a diff of ``default_model/`` shows exactly what a data change did.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from processors.sentiment.default import DEFAULT_MODEL_DIR
from processors.sentiment.model import SentimentModel
from processors.sentiment.reader import read_sentiment_examples
from processors.sentiment.sample_data import POLARITY_TRAIN_FILE, TEST_FILE, read_labelled_messages

SAMPLE_DATA_REVISION = datetime(2026, 11, 21, tzinfo=UTC)
"""Recorded as ``trained_at`` so rebuilds are reproducible; bump it when the sample data changes."""


def cs_test_figures(model: SentimentModel) -> dict[str, float | int]:
    """Three-way polarity and emotion accuracy on the shipped customer-service test messages."""
    messages = read_labelled_messages(TEST_FILE)
    predictions = model.predict([message.text for message in messages])
    pairs = list(zip(messages, predictions, strict=True))
    neutral = [prediction for message, prediction in pairs if message.polarity == "neutral"]
    labelled_emotion = [(m, p) for m, p in pairs if m.emotion is not None]
    return {
        "polarity_3way_accuracy": round(sum(m.polarity == p.polarity for m, p in pairs) / len(pairs), 4),
        "neutral_recall": round(sum(p.polarity == "neutral" for p in neutral) / len(neutral), 4),
        "emotion_accuracy": round(sum(m.emotion == p.emotion for m, p in labelled_emotion) / len(labelled_emotion), 4),
        "n": len(pairs),
    }


def build(directory: Path = DEFAULT_MODEL_DIR) -> SentimentModel:
    """Train on ``sample_data/polarity_train.jsonl``, record the test figures and save to ``directory``."""
    examples = read_sentiment_examples([POLARITY_TRAIN_FILE])
    model = SentimentModel.train(examples, seed=0, trained_at=SAMPLE_DATA_REVISION)
    model.add_metrics("cs_test", cs_test_figures(model))
    model.save(directory)
    return model


def main() -> None:
    model = build()
    print(json.dumps({"directory": str(DEFAULT_MODEL_DIR), **model.metadata}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
