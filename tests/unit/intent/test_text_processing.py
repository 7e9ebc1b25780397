"""Normalisation, features, clause splitting, example reading and calibration helpers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from processors.intent import read_intent_examples
from processors.intent.calibration import expected_calibration_error, fit_calibration
from processors.intent.clauses import split_clauses
from processors.intent.features import NgramFeaturizer
from processors.textnorm import normalize_text


def test_normalize_folds_width_case_and_digits() -> None:
    assert normalize_text("ＯＲＤＥＲ　１２３ 到了吗？") == "order 0 到了吗?"


def test_feature_rows_are_unit_length_and_ignore_unseen_text() -> None:
    featurizer = NgramFeaturizer.fit(["退货退款", "where is my order"])
    rows = featurizer.transform(["退货", "完全没见过", "my order"])
    norms = np.sqrt(rows.multiply(rows).sum(axis=1)).A1
    np.testing.assert_allclose(norms, [1.0, 0.0, 1.0], atol=1e-6)


def test_latin_words_are_features_of_their_own() -> None:
    featurizer = NgramFeaturizer.fit(["refund please"])
    assert "\x00w:refund" in featurizer.vocabulary


def test_split_clauses_on_punctuation_and_connectives() -> None:
    assert split_clauses("改地址，顺便催一下发货") == ["改地址", "催一下发货"]
    assert split_clauses("refund and also an invoice") == ["refund", "an invoice"]
    assert split_clauses("在吗?") == []


def test_cic_numeric_labels_become_descriptions(tmp_path: Path) -> None:
    (tmp_path / "labels.jsonl").write_text(
        json.dumps({"label": 7, "label_des": "买家表示感谢"}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    rows = [
        {"sentence": "谢谢", "label": "7"},
        {"text": "where is it", "label": "where_is_my_order"},
        {"sentence": "多谢", "label": "7", "label_des": "行内描述"},
        {"sentence": "", "label": "7"},
    ]
    data = tmp_path / "train.jsonl"
    data.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n\n", encoding="utf-8")
    assert read_intent_examples([data]) == [
        ("谢谢", "买家表示感谢"),
        ("where is it", "where_is_my_order"),
        ("多谢", "行内描述"),
    ]


def test_calibration_thresholds_follow_held_out_scores() -> None:
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 4, size=400)
    scores = rng.normal(-1.0, 0.5, size=(400, 4))
    scores[np.arange(400), targets] += 0.8  # about a fifth of rows are misranked
    calibration = fit_calibration(scores, targets, unknown_quantile=0.05, multi_quantile=0.98)
    probabilities = calibration.probabilities(scores)
    best = probabilities.max(axis=1)
    assert 0.0 < calibration.unknown_threshold <= calibration.multi_threshold < 1.0
    correct = probabilities.argmax(axis=1) == targets
    assert np.mean(best[correct] < calibration.unknown_threshold) <= 0.06
    assert np.mean(best[~correct] < calibration.unknown_threshold) > 0.06
    assert expected_calibration_error(best, correct) < 0.1


def test_fast_transform_equals_the_plain_definition_of_the_features() -> None:
    import math
    from collections import Counter

    from processors.intent.features import NgramFeaturizer, _terms
    from processors.textnorm import normalize_text

    corpus = ["我要退货退款", "Where is my order? refund please", "发票 invoice 怎么开", "😀好评", "订单12345到哪了"]
    featurizer = NgramFeaturizer.fit(corpus, ngram_max=3)
    probes = [*corpus, "", "退款refund到账了吗😀", "完全没见过的字"]
    fast = featurizer.transform(probes).toarray()
    for row, text in enumerate(probes):
        counts = Counter(
            featurizer.vocabulary[t] for t in _terms(normalize_text(text), 1, 3) if t in featurizer.vocabulary
        )
        expected = np.zeros(featurizer.n_features)
        for column, count in counts.items():
            expected[column] = (1 + math.log(count)) * featurizer.idf[column]
        norm = np.linalg.norm(expected)
        np.testing.assert_allclose(fast[row], expected / norm if norm else expected, rtol=1e-5, atol=1e-6)
