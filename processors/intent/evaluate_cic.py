"""CIC figures for the intent model; prints JSON.

Run ``python -m processors.intent.evaluate_cic``. Trains on 80 % of CIC train (stratified, seed 0) with
the label-noise filter on (the shipped recipe) and off (the earlier recipe), plus a scikit-learn char
TF-IDF + LinearSVC reference, and scores each on:

- ``held_out``: the other 20 % of train, the split used to choose settings (as label-noisy as train);
- ``dev``: CIC dev, never used to choose anything (label-noisy too);
- ``dev_audited_clean``: the rows of dev that an audit judged correctly labelled (``cic_dev_audit.json``;
  model-independent but small);
- ``dev_consensus``: the rows of dev whose label is among the reference's top five labels when it is trained
  on all of train. Biased upwards, and most for models like the reference: rows it finds hard are gone.

``noise_corrected_dev_accuracy`` divides dev accuracy by one minus the audited noise rate: under labels that
are replaced by random others, a model agrees with a wrong label about 1 time in 117, so noisy accuracy is
about clean accuracy times the share of correct labels.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

from processors.intent.cic import CIC_DIR, audited_dev_split, cic_available, cic_splits
from processors.intent.evaluation import evaluate_intent
from processors.intent.examples import with_label_descriptions
from processors.intent.model import IntentModel

Examples = list[tuple[str, str]]
RECIPES: dict[str, dict[str, Any]] = {
    "noise_filter": {},  # the defaults of IntentParams: filter (10, 3), balanced weights, C 0.5
    "no_filter": {"noise_rank_cutoffs": (), "regularization": 0.2, "class_weight": None},  # the earlier recipe
}
CONSENSUS_TOP_K = 5


def reference_model(examples: Examples) -> Pipeline:
    """scikit-learn's char 1-3-gram TF-IDF + LinearSVC, the same-run reference."""
    pipeline = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
        LinearSVC(C=0.2, max_iter=5000, random_state=0),
    )
    return pipeline.fit([text for text, _ in examples], [label for _, label in examples])


def label_scores(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Accuracy and macro-F1 over the labels present in ``truth``."""
    present = sorted(set(truth))
    return {
        "accuracy": round(float(np.mean([p == t for p, t in zip(predicted, truth, strict=True)])), 4),
        "macro_f1": round(float(f1_score(truth, predicted, labels=present, average="macro", zero_division=0)), 4),
    }


def consensus_rows(reference: Pipeline, examples: Examples, top_k: int = CONSENSUS_TOP_K) -> Examples:
    """Rows whose given label is among ``reference``'s ``top_k`` labels."""
    scores = reference.decision_function([text for text, _ in examples])
    classes = list(reference.classes_)
    top = np.argsort(-scores, axis=1)[:, :top_k]
    return [
        (text, label)
        for (text, label), row in zip(examples, top, strict=True)
        if label in classes and classes.index(label) in row
    ]


def main() -> None:
    """Train, evaluate and print the figures (or why there are none)."""
    if not cic_available():
        print(json.dumps({"error": f"CIC data not found at {CIC_DIR.resolve()}"}))
        raise SystemExit(1)
    fit, held_out, dev = cic_splits()
    audited_clean, audited_wrong = audited_dev_split()
    noise_rate = len(audited_wrong) / (len(audited_clean) + len(audited_wrong))
    full_train = fit + held_out
    consensus = consensus_rows(reference_model(with_label_descriptions(full_train)), dev)
    splits = {"held_out": held_out, "dev": dev, "dev_audited_clean": audited_clean, "dev_consensus": consensus}
    report: dict[str, Any] = {
        "train_examples": len(fit),
        "dev_audit": {"rows": len(audited_clean) + len(audited_wrong), "mislabelled": len(audited_wrong)},
        "dev_consensus_rows": len(consensus),
    }
    for name, recipe in RECIPES.items():
        started = time.perf_counter()
        model = IntentModel.train(with_label_descriptions(fit), seed=0, **recipe)
        figures: dict[str, Any] = {
            "train_seconds": round(time.perf_counter() - started, 1),
            "dropped_as_noisy": model.metadata["n_dropped_as_noisy"],
            "params": model.params.to_dict(),
        }
        for split, examples in splits.items():
            figures[split] = evaluate_intent(model, examples)
        figures["noise_corrected_dev_accuracy"] = round(figures["dev"]["accuracy"] / (1 - noise_rate), 4)
        report[name] = figures
    reference = reference_model(with_label_descriptions(fit))
    report["sklearn_reference"] = {
        split: label_scores([label for _, label in examples], reference.predict([text for text, _ in examples]))
        for split, examples in splits.items()
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
