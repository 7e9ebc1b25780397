"""The labelled messages shipped with the package (written by the project, not taken from any corpus)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from processors.sentiment.types import EMOTIONS, POLARITIES, Emotion, Polarity

SAMPLE_DATA_DIR = Path(__file__).resolve().parent / "sample_data"
POLARITY_TRAIN_FILE = SAMPLE_DATA_DIR / "polarity_train.jsonl"
"""Binary ``{"text", "label"}`` messages the default model is trained on."""
CALIBRATION_FILE = SAMPLE_DATA_DIR / "calibration.jsonl"
"""Three-way ``{"text", "polarity"}`` messages that set the neutral band of every trained model."""
TEST_FILE = SAMPLE_DATA_DIR / "cs_test.jsonl"
"""Three-way polarity and emotion ``{"text", "polarity", "emotion"}`` for tests and reports only."""


@dataclass(frozen=True, slots=True)
class LabelledMessage:
    """One customer-service message with its polarity and, where labelled, its emotion."""

    text: str
    polarity: Polarity
    emotion: Emotion | None


def read_labelled_messages(path: Path) -> list[LabelledMessage]:
    """Messages from a JSONL file of ``{"text", "polarity"[, "emotion"]}`` objects."""
    messages: list[LabelledMessage] = []
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            polarity, emotion = row["polarity"], row.get("emotion")
            if polarity not in POLARITIES or (emotion is not None and emotion not in EMOTIONS):
                raise ValueError(f"{path}:{line_number}: bad label {polarity!r}/{emotion!r}")
            messages.append(LabelledMessage(row["text"], cast(Polarity, polarity), cast("Emotion | None", emotion)))
    return messages
