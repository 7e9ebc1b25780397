"""Where the shared CIC data lives and the project's own validation split of it.

CIC's train and dev labels are noisy and its clean test split is held by others, so models are
validated on a stratified slice of train that training never sees; dev is reported alongside.
"""

from __future__ import annotations

import json
from pathlib import Path

from sklearn.model_selection import train_test_split

from processors.intent.examples import read_intent_examples

__all__ = ["CIC_DIR", "audited_dev_split", "cic_available", "cic_splits"]

CIC_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "cic"

Examples = list[tuple[str, str]]


def cic_available(directory: Path = CIC_DIR) -> bool:
    """Whether the CIC train and dev files are present."""
    return (directory / "train.jsonl").exists() and (directory / "dev.jsonl").exists()


def cic_splits(
    directory: Path = CIC_DIR, *, held_out_fraction: float = 0.2, seed: int = 0
) -> tuple[Examples, Examples, Examples]:
    """``(fit, held_out, dev)``: train split stratified by label, plus the untouched dev set."""
    train = read_intent_examples([directory / "train.jsonl"])
    dev = read_intent_examples([directory / "dev.jsonl"])
    fit, held_out = train_test_split(
        train, test_size=held_out_fraction, random_state=seed, stratify=[label for _, label in train]
    )
    return list(fit), list(held_out), dev


AUDIT_FILE = Path(__file__).resolve().parent / "cic_dev_audit.json"


def audited_dev_split(directory: Path = CIC_DIR, audit_file: Path = AUDIT_FILE) -> tuple[Examples, Examples]:
    """``(judged_correct, judged_mislabelled)`` rows of CIC dev as the audit read them (see the audit file).

    Every dev row was read once, without looking at any model's predictions (500 by one reader, the
    other 1,500 by four more, who agreed with the first on 95 of 100 rows shown to both): 1,565 rows
    judged correct, 435 mislabelled. The correct ones are a model-independent estimate of quality on
    clean labels (SE ~0.01 on accuracy). Ambiguous rows count as correct, so rows a careful annotator
    would relabel remain among them.
    """
    audit = json.loads(audit_file.read_text(encoding="utf-8"))
    audited, wrong = set(audit["audited_ids"]), set(audit["mislabelled_ids"])
    correct: Examples = []
    mislabelled: Examples = []
    for line in (directory / "dev.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["id"] in audited:
            (mislabelled if row["id"] in wrong else correct).append((str(row["sentence"]), str(row["label_des"])))
    return correct, mislabelled
