"""Does a second view of CIC's label noise (multilingual-e5-small) help the char n-gram intent model? Prints JSON.

Run ``PYTHONPATH=. .venv/bin/python scripts/intent_e5_study.py [--cache /tmp/kefu-e5-cic]``. A study, not part
of the product: the shipped model stays char n-grams only (10k predictions/s on one core; e5 embeds ~54
sentences/s). Everything is trained on the 80 % slice of CIC train that ``processors.intent.cic.cic_splits``
gives and scored forced-choice (best label, no ``unknown``) on the held-out 20 % (where choices are made),
dev and the audited-clean dev rows. Variants, each a char 1-3-gram LinearSVC (C 0.5, balanced) at the end:

- ``char_filter``: the shipped rank filter, rounds (10, 3) on the char model's out-of-fold scores;
- ``e5_filter``: the same rounds on out-of-fold probabilities of a logistic regression on e5 vectors;
- ``avg_filter_T*``: on the mean of the two (char scores through a softmax at temperature T);
- ``relabel_avg``: ``avg_filter_T0.1`` plus the dropped rows that the char+e5 teacher labels with p >= 0.6,
  under the teacher's label (distillation by relabelling);
- ``soft_weights_avg``: no drop, each row weighted by the teacher's probability of its label;
- ``e5_logreg``, ``e5_knn``, ``ensemble_char_e5``: e5 at inference (not shippable), for the ceiling.

The e5 vectors of CIC (12,118 texts, ~4-7 minutes on 2 cores) are cached under ``--cache``, outside the repo.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from processors.intent.cic import CIC_DIR, audited_dev_split, cic_splits
from processors.intent.evaluate_cic import label_scores
from processors.intent.examples import with_label_descriptions
from processors.intent.features import NgramFeaturizer
from processors.intent.linear import out_of_fold_scores
from processors.intent.noise import given_label_ranks

Examples = list[tuple[str, str]]
Array = npt.NDArray[Any]
Predictor = Callable[[Examples], Array]
RANK_CUTOFFS = (10, 3)
RELABEL_MIN_PROBABILITY = 0.6


def cached_vectors(cache: Path) -> dict[str, Array]:
    """Text -> normalised e5 query vector for every CIC sentence and label description."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    cache.mkdir(parents=True, exist_ok=True)
    vectors: dict[str, Array] = {}
    for name, key in (("train", "sentence"), ("dev", "sentence"), ("labels", "label_des")):
        rows = [json.loads(line) for line in (CIC_DIR / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
        texts = [str(row[key]) for row in rows]
        path = cache / f"e5_{name}.npy"
        if not path.exists():
            from serving.embedding.e5 import E5Embedder

            np.save(path, E5Embedder(batch_size=64).embed_queries(texts))
        vectors.update(zip(texts, np.load(path), strict=True))
    return vectors


def softmax(scores: Array, temperature: float) -> Array:
    shifted = scores / temperature
    shifted = shifted - shifted.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    result: Array = exp / exp.sum(axis=1, keepdims=True)
    return result


class Study:
    """The 80 % slice, its features in both views, and the out-of-fold scores every filter starts from."""

    def __init__(self, vectors: dict[str, Array]) -> None:
        fit, held_out, dev = cic_splits()
        clean, _ = audited_dev_split()
        self.splits = {"held_out": held_out, "dev": dev, "dev_audited_clean": clean}
        self.labels = sorted({label for _, label in fit + held_out + dev})
        self.index = {label: position for position, label in enumerate(self.labels)}
        train = with_label_descriptions(fit)
        self.texts = [text for text, _ in train]
        self.targets = np.array([self.index[label] for _, label in train])
        self.protected = np.array([text == label for text, label in train])
        self.vectors = vectors
        self.e5 = self.embed(train)
        self.char_features = NgramFeaturizer.fit(self.texts).transform(self.texts)
        self.char_oof = self.char_scores(np.arange(len(train)))
        self.e5_oof = self.e5_probabilities(np.arange(len(train)))

    def embed(self, examples: Examples) -> Array:
        return np.stack([self.vectors[text] for text, _ in examples])

    def char_scores(self, rows: Array) -> Array:
        return out_of_fold_scores(
            self.char_features[rows],
            self.targets[rows],
            len(self.labels),
            folds=5,
            regularization=0.5,
            class_weight="balanced",
            seed=0,
        )

    def e5_probabilities(self, rows: Array) -> Array:
        features, targets = self.e5[rows], self.targets[rows]
        probabilities = np.zeros((len(rows), len(self.labels)))
        for train_part, held_part in StratifiedKFold(5, shuffle=True, random_state=0).split(features, targets):
            model = LogisticRegression(C=10.0, max_iter=300).fit(features[train_part], targets[train_part])
            probabilities[np.ix_(held_part, model.classes_)] = model.predict_proba(features[held_part])
        return probabilities

    def rank_filter(self, score_rows: Callable[[Array, int], Array]) -> Array:
        """Kept-row mask after the rounds of :data:`RANK_CUTOFFS` (descriptions always kept)."""
        keep = np.ones(len(self.targets), dtype=bool)
        for round_number, cutoff in enumerate(RANK_CUTOFFS):
            rows = np.flatnonzero(keep)
            ranks = given_label_ranks(score_rows(rows, round_number), self.targets[rows])
            dropped = rows[ranks >= cutoff]
            keep[dropped[~self.protected[dropped]]] = False
        return keep

    def char_model(self, keep: Array, targets: Array | None = None, weights: Array | None = None) -> Predictor:
        rows = np.flatnonzero(keep)
        texts = [self.texts[row] for row in rows]
        featurizer = NgramFeaturizer.fit(texts)
        labels = (self.targets if targets is None else targets)[rows]
        svm = LinearSVC(C=0.5, class_weight="balanced", random_state=0, max_iter=5000)
        svm.fit(featurizer.transform(texts), labels, sample_weight=None if weights is None else weights[rows])

        def scores(examples: Examples) -> Array:
            full = np.full((len(examples), len(self.labels)), -10.0)
            full[:, svm.classes_] = svm.decision_function(featurizer.transform([text for text, _ in examples]))
            return full

        return scores

    def scores(self, predictor: Predictor) -> dict[str, dict[str, float]]:
        report = {}
        for name, examples in self.splits.items():
            truth = [label for _, label in examples]
            predicted = [self.labels[column] for column in predictor(examples).argmax(axis=1)]
            report[name] = label_scores(truth, predicted)
        return report


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/kefu-e5-cic"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    study = Study(cached_vectors(args.cache))
    targets = study.targets
    report: dict[str, Any] = {}

    def char_rounds(rows: Array, round_number: int) -> Array:
        return study.char_oof if round_number == 0 else study.char_scores(rows)

    def e5_rounds(rows: Array, round_number: int) -> Array:
        return study.e5_oof[rows]  # the e5 view is not refitted for the second round (slow; rows barely move)

    keeps = {"char_filter": study.rank_filter(char_rounds), "e5_filter": study.rank_filter(e5_rounds)}

    def averaged_rounds(temperature: float) -> Callable[[Array, int], Array]:
        def scores(rows: Array, round_number: int) -> Array:
            char_probabilities = softmax(char_rounds(rows, round_number), temperature)
            return 0.5 * char_probabilities + 0.5 * e5_rounds(rows, round_number)

        return scores

    for temperature in (0.1, 0.3):
        keeps[f"avg_filter_T{temperature}"] = study.rank_filter(averaged_rounds(temperature))
    for name, keep in keeps.items():
        report[name] = {"dropped": int((~keep).sum()), **study.scores(study.char_model(keep))}
    teacher = 0.5 * softmax(study.char_oof, 0.1) + 0.5 * study.e5_oof
    teacher_label, teacher_probability = teacher.argmax(axis=1), teacher.max(axis=1)
    base = keeps["avg_filter_T0.1"]
    added = ~base & (teacher_probability >= RELABEL_MIN_PROBABILITY) & (teacher_label != targets)
    relabelled = np.where(added, teacher_label, targets)
    report["relabel_avg"] = {"added": int(added.sum()), **study.scores(study.char_model(base | added, relabelled))}
    given_probability = teacher[np.arange(len(targets)), targets]
    weights = np.where(study.protected, 1.0, np.clip(given_probability / np.median(given_probability), 0.05, 1.0))
    everything = np.ones(len(targets), dtype=bool)
    report["soft_weights_avg"] = study.scores(study.char_model(everything, weights=weights))
    keep = keeps["char_filter"]
    e5_model = LogisticRegression(C=10.0, max_iter=300).fit(study.e5[keep], targets[keep])

    def e5_probabilities(examples: Examples) -> Array:
        full = np.zeros((len(examples), len(study.labels)))
        full[:, e5_model.classes_] = e5_model.predict_proba(study.embed(examples))
        return full

    def e5_knn(examples: Examples, k: int = 10) -> Array:
        similarities = study.embed(examples) @ study.e5.T
        nearest = np.argpartition(-similarities, k, axis=1)[:, :k]
        votes = np.zeros((len(examples), len(study.labels)))
        for row, neighbours in enumerate(nearest):
            np.add.at(votes[row], targets[neighbours], np.exp(similarities[row, neighbours] / 0.05))
        return votes

    char_filtered = study.char_model(keep)
    report["e5_logreg"] = study.scores(e5_probabilities)
    report["e5_knn"] = study.scores(e5_knn)
    report["ensemble_char_e5"] = study.scores(
        lambda examples: 0.5 * softmax(char_filtered(examples), 0.1) + 0.5 * e5_probabilities(examples)
    )
    report["seconds"] = round(time.perf_counter() - started)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
