"""``kefu eval thresholds``: retrieval confidence and the responder's thresholds, calibrated on sample-KB queries.

The queries (``processors/responder/calibration_data/sample_kb_queries.jsonl``: ``text``, ``answerable`` and,
for answerable ones, a ``fact`` the right passage states) are written for the sample KB and kept apart from the
scripted dialogues, so the dialogue evaluation is not scored on the data the thresholds were read from. Each
query is retrieved as the responder does (hybrid search, learned reranker); ``correct`` means the fact is in the
first ``top`` passages. The confidence is Platt scaling of the first passage's dense cosine fitted to
``correct``; the thresholds are then read off with :func:`processors.responder.thresholds.choose_thresholds`.
Five-fold cross-validation (fit and choose on four folds, score the fifth) reports what to expect on unseen
queries; the shipped fit uses every query.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from jobs.sample_kb_index import sample_kb
from kefu.settings import Settings
from processors.responder.thresholds import LabelledScore, choose_thresholds
from serving.retrieval.calibration import Calibrator, Platt

QUERIES_FILE = Path(__file__).resolve().parents[1] / "processors/responder/calibration_data/sample_kb_queries.jsonl"
TENANT = "calibration"


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).lower().replace("–", "-"))


def read_queries(path: Path = QUERIES_FILE) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for number, row in enumerate(rows, start=1):
        if not isinstance(row.get("text"), str) or not isinstance(row.get("answerable"), bool):
            raise ValueError(f"{path}:{number}: needs text and answerable")
    return rows


def _scored(platt: Platt, cosines: np.ndarray[Any, Any], labels: list[tuple[bool, bool]]) -> list[LabelledScore]:
    return [LabelledScore(round(platt(float(c)), 4), s, k) for c, (s, k) in zip(cosines, labels, strict=True)]


def _cross_validated(
    cosines: np.ndarray[Any, Any], labels: list[tuple[bool, bool]], precision_target: float, scope_target: float
) -> dict[str, float]:
    folds = np.arange(len(labels)) % 5
    answered = correct_answered = correct_total = oos_answered = oos_total = 0
    for fold in range(5):
        train, test = folds != fold, folds == fold
        train_labels = [lab for lab, t in zip(labels, train, strict=True) if t]
        platt = Platt.fit(cosines[train], np.array([k for _, k in train_labels]), logit=False)
        choice = choose_thresholds(
            _scored(platt, cosines[train], train_labels), precision_target=precision_target, scope_target=scope_target
        )
        for score in _scored(platt, cosines[test], [lab for lab, t in zip(labels, test, strict=True) if t]):
            hit = score.confidence >= choice.answer_threshold
            answered += hit
            correct_answered += hit and score.correct
            correct_total += score.correct
            oos_total += not score.in_scope
            oos_answered += hit and not score.in_scope
    return {
        "answer_precision": round(correct_answered / max(answered, 1), 4),
        "answer_recall": round(correct_answered / max(correct_total, 1), 4),
        "out_of_scope_answered": round(oos_answered / max(oos_total, 1), 4),
    }


def calibrate(
    settings: Settings,
    path: Path = QUERIES_FILE,
    *,
    precision_target: float = 0.9,
    scope_target: float = 0.8,
    top: int = 3,
) -> dict[str, Any]:
    """The calibration (``calibration``: a Calibrator JSON for ``KEFU_RETRIEVAL_CONFIDENCE_FILE``, with the embedder
    it was fitted with and the thresholds read off it) and the thresholds' figures."""
    queries = read_queries(path)
    cosines: list[float] = []
    labels: list[tuple[bool, bool]] = []
    with sample_kb(settings, TENANT) as kb:
        for query in queries:
            found = kb.retriever.retrieve(query["text"], TENANT, top)
            fact = _norm(str(query.get("fact", "")))
            correct = bool(query["answerable"]) and any(fact in _norm(p.text) for p in found.passages)
            first = found.passages[0] if found.passages else None
            cosines.append(float(first.metadata.get("dense_score", first.score)) if first else 0.0)
            labels.append((bool(query["answerable"]), correct))
    x = np.array(cosines)
    platt = Platt.fit(x, np.array([k for _, k in labels]), logit=False)
    scores = _scored(platt, x, labels)
    choice = choose_thresholds(scores, precision_target=precision_target, scope_target=scope_target)
    calibrator = Calibrator({"dense": platt}, model_id=None)
    record = {
        **calibrator.to_json(),
        "fitted_on": str(path.relative_to(QUERIES_FILE.parents[3])) if path == QUERIES_FILE else str(path),
        "embedder": kb.embedder.model_id,
        "signal": "dense",
        "thresholds": {
            "answer": choice.answer_threshold,
            "clarify": choice.clarify_threshold,
            "precision_target": precision_target,
        },
    }
    return {
        "queries": str(path),
        "answerable": sum(s for s, _ in labels),
        "out_of_scope": sum(not s for s, _ in labels),
        "retrieved_correctly": sum(k for _, k in labels),
        "top": top,
        "signal": "dense",
        "embedder": kb.embedder.model_id,
        "precision_target": precision_target,
        "scope_target": scope_target,
        **asdict(choice),
        "cross_validated_5_fold": _cross_validated(x, labels, precision_target, scope_target),
        "calibration": record,
    }
