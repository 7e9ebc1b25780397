"""Read binary polarity examples from the CSV and JSONL layouts the review corpora come in.

Accepted, by file suffix:

- ``.csv`` with a header naming a label column ``label`` and a text column ``review``, ``text`` or
  ``sentence`` (covers ``cat,label,review`` and ``label,review``);
- ``.jsonl`` with one object per line holding ``text``, ``sentence`` or ``review`` and ``label``.

Labels may be ``1``/``0``, ``"1"``/``"0"``, ``"Positive"``/``"Negative"``, ``"pos"``/``"neg"`` in any case.
Rows labelled neutral are skipped (the examples are binary); empty texts are skipped; any other label is
an error naming the file and line, since silently dropping it would bias the training data.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

TEXT_FIELDS = ("review", "text", "sentence")
SUFFIXES = (".csv", ".jsonl")

_POSITIVE = frozenset({"1", "positive", "pos", "true"})
_NEGATIVE = frozenset({"0", "negative", "neg", "false"})
_NEUTRAL = frozenset({"neutral", "2"})


class SentimentDataError(ValueError):
    """A file has a layout or label the reader does not understand."""


def parse_polarity_label(raw: object) -> int | None:
    """1 for positive, 0 for negative, None for neutral; raises ``ValueError`` otherwise.

    Examples
    --------
    >>> parse_polarity_label("Positive"), parse_polarity_label(0), parse_polarity_label("neutral")
    (1, 0, None)
    """
    key = str(raw).strip().lower()
    if key in _POSITIVE:
        return 1
    if key in _NEGATIVE:
        return 0
    if key in _NEUTRAL:
        return None
    raise ValueError(f"unknown polarity label {raw!r}")


def _text_of(row: Mapping[str, object]) -> object:
    for field in TEXT_FIELDS:
        if field in row:
            return row[field]
    return None


def _csv_rows(path: Path) -> Iterator[tuple[int, Mapping[str, object]]]:
    # utf-8-sig: the SophonPlus files start with a byte-order mark.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames or []
        if "label" not in fields or not any(field in fields for field in TEXT_FIELDS):
            raise SentimentDataError(f"{path}: CSV header {fields} has no label and text columns")
        for row in reader:
            yield reader.line_num, row


def _jsonl_rows(path: Path) -> Iterator[tuple[int, Mapping[str, object]]]:
    with path.open(encoding="utf-8-sig") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise SentimentDataError(f"{path}:{line_number}: not JSON ({error.msg})") from error
            if not isinstance(row, dict):
                raise SentimentDataError(f"{path}:{line_number}: expected a JSON object")
            yield line_number, row


def read_sentiment_file(path: Path) -> list[tuple[str, int]]:
    """Examples ``(text, label)`` from one CSV or JSONL file."""
    rows = _csv_rows(path) if path.suffix.lower() == ".csv" else _jsonl_rows(path)
    examples: list[tuple[str, int]] = []
    for line_number, row in rows:
        text = _text_of(row)
        if "label" not in row or text is None:
            raise SentimentDataError(f"{path}:{line_number}: needs 'label' and one of {TEXT_FIELDS}")
        try:
            label = parse_polarity_label(row["label"])
        except ValueError as error:
            raise SentimentDataError(f"{path}:{line_number}: {error}") from error
        if label is None or not isinstance(text, str) or not text.replace("\ufeff", "").strip():
            continue
        # Some SophonPlus rows carry a stray byte-order mark inside the field, not only at file start.
        examples.append((text.replace("\ufeff", "").strip(), label))
    return examples


def _data_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    if path.is_file():
        return [path]
    raise FileNotFoundError(f"no such file or directory: {path}")


def read_sentiment_examples(paths: Sequence[Path]) -> list[tuple[str, int]]:
    """All examples from ``paths`` (files or directories, searched recursively, in sorted order).

    Label 1 = positive, 0 = negative.
    """
    examples: list[tuple[str, int]] = []
    for path in paths:
        for data_file in _data_files(Path(path)):
            examples.extend(read_sentiment_file(data_file))
    return examples
