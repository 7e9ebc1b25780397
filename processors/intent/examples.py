"""Reading labelled intent examples from JSONL files.

Accepted rows: ``{"text" or "sentence": ..., "label": ...}``, optionally ``"label_des"``.
Label choice (predictions must read as intents, not numbers): a label that is only digits (the CIC
format, ``"57"``) is replaced by its description, from the row's ``label_des`` or else from a
``labels.jsonl`` (``{"label": id, "label_des": description}``) next to the file. Any other label (the
project's ``where_is_my_order`` style ids) is kept as is: stable ids are better keys than prose.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "label_ids_of",
    "read_intent_examples",
    "read_label_descriptions",
    "repeat_label_descriptions",
    "with_label_descriptions",
]

LABELS_FILE = "labels.jsonl"


def read_label_descriptions(path: Path) -> dict[str, str]:
    """``label id -> description`` from a ``labels.jsonl`` file (ids read as strings)."""
    descriptions: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            descriptions[str(row["label"])] = str(row["label_des"])
    return descriptions


def read_intent_examples(paths: Sequence[Path]) -> list[tuple[str, str]]:
    """Read ``(text, label)`` pairs from JSONL files, in file then line order.

    Rows with empty text or no label are skipped (blank lines too); a row that is not JSON raises
    ``ValueError`` naming the file and line.
    """
    examples: list[tuple[str, str]] = []
    for path in paths:
        sibling = path.parent / LABELS_FILE
        descriptions = read_label_descriptions(sibling) if sibling.exists() and sibling != path else {}
        for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{line_number}: not JSON ({error.msg})") from error
            text = str(row.get("text") or row.get("sentence") or "").strip()
            label = str(row.get("label", "")).strip()
            if not text or not label:
                continue
            if label.isdigit():
                label = str(row.get("label_des") or descriptions.get(label, label))
            examples.append((text, label))
    return examples


def label_ids_of(paths: Sequence[Path]) -> dict[str, str]:
    """``description -> id`` for every numeric label in ``paths`` that :func:`read_intent_examples` renames."""
    ids: dict[str, str] = {}
    for path in paths:
        sibling = path.parent / LABELS_FILE
        descriptions = read_label_descriptions(sibling) if sibling.exists() and sibling != path else {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            label = str(row.get("label", "")).strip()
            if label.isdigit():
                description = str(row.get("label_des") or descriptions.get(label, label))
                if description != label:
                    ids[description] = label
    return ids


def with_label_descriptions(examples: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """``examples`` plus each prose label as an example of itself (CIC: +1 point macro-F1 on dev).

    A description such as "买家咨询退换货规则" is a clean, typical phrasing of its intent; ids such as
    ``return_refund`` are not text and are left out.
    """
    prose = sorted({label for _, label in examples if any(not ch.isascii() for ch in label)})
    return [*examples, *((label, label) for label in prose)]


def repeat_label_descriptions(examples: Sequence[tuple[str, str]], copies: int) -> list[tuple[str, str]]:
    """``examples`` with every label description (a row whose text is its label) there ``copies`` times in all.

    Descriptions are the only rows of a label-noisy set known to be right, so training counts them more than
    once (:attr:`~processors.intent.params.IntentParams.label_description_copies`).

    >>> repeat_label_descriptions([("我要退货", "退货"), ("退货", "退货")], 3)
    [('我要退货', '退货'), ('退货', '退货'), ('退货', '退货'), ('退货', '退货')]
    """
    if copies < 1:
        raise ValueError("copies must be at least 1")
    descriptions = [(text, label) for text, label in examples if text == label]
    return [*examples, *(descriptions * (copies - 1))]
