"""The vectoriser used for predicting agrees with the one used for training."""

from __future__ import annotations

import numpy as np

from processors import sentiment
from processors.ngram_keys import batch_ngram_keys, term_keys
from processors.sentiment.features import NgramTfidf, unit_rows
from processors.sentiment.text import NGRAM_MAX, NGRAM_MIN

TEXTS = [
    "质量很好，很满意",
    "物流太慢了!!",
    "Great product, fast delivery",
    "不好不好不好",
    "",
    "ok 好的 thanks",
]


def test_transform_reproduces_the_training_vectors() -> None:
    featurizer, vectors = NgramTfidf.fit(TEXTS)
    assert np.abs((featurizer.transform(TEXTS) - vectors).toarray()).max() < 1e-6


def test_rows_have_unit_length_and_empty_text_gives_an_empty_row() -> None:
    featurizer, _ = NgramTfidf.fit(TEXTS)
    vectors = featurizer.transform(["很满意", "", "鑫龘"])
    lengths = np.sqrt(np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel())
    assert abs(lengths[0] - 1.0) < 1e-6
    assert lengths[1] == 0.0
    assert lengths[2] == 0.0


def test_select_matches_renormalised_columns() -> None:
    featurizer, vectors = NgramTfidf.fit(TEXTS)
    kept = np.arange(0, featurizer.size, 2)
    smaller = featurizer.select(kept)
    assert smaller.size == len(kept)
    expected = unit_rows(vectors[:, kept]).toarray()
    assert np.abs(smaller.transform(TEXTS).toarray() - expected).max() < 1e-6


def test_batch_keys_equal_term_keys_for_every_ngram() -> None:
    text = "好评!Ab"
    keys, rows = batch_ngram_keys([text], NGRAM_MIN, NGRAM_MAX)
    grams = [text[i : i + n] for n in range(1, 5) for i in range(len(text) - n + 1)]
    assert keys.tolist() == term_keys(grams, NGRAM_MIN, NGRAM_MAX).tolist()
    assert set(rows.tolist()) == {0}


def test_public_surface_is_exactly_the_documented_api() -> None:
    assert sorted(sentiment.__all__) == [
        "Emotion",
        "Polarity",
        "SentimentModel",
        "SentimentPrediction",
        "evaluate_sentiment",
        "load_default_sentiment_model",
        "read_sentiment_examples",
    ]
