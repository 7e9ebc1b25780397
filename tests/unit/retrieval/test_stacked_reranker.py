"""The stacked reranker: trees over the features and the linear score, loaded from the JSON model and trained."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from jobs.train_reranker import Rows, fit_trees, score_metrics, stacked_scores
from serving.protocols import Passage
from serving.rerank import LearnedReranker
from serving.rerank.features import DENSE_NAMES, dense_features
from serving.rerank.learned import LinearModel, default_model_path
from serving.rerank.stacked import STACK_NAMES, linear_logits, list_position, stack_features
from serving.rerank.trees import TreeEnsemble


def _candidate(text: str, dense: float, rank: int) -> Passage:
    metadata = {"dense_score": str(dense), "bm25_score": "3.0", "dense_rank": str(rank), "bm25_rank": str(rank)}
    return Passage(text, "s", text, metadata=metadata)


def _rows(seed: int, queries: int = 40, per_query: int = 10) -> Rows:
    """Synthetic candidate lists whose relevant row has the highest dense cosine (so a ``dense_gap`` of 0)."""
    rng = np.random.default_rng(seed)
    n = queries * per_query
    dense = rng.normal(size=(n, len(DENSE_NAMES))).astype(np.float32)
    dense[:, -1] = 1.0
    query = np.repeat(np.arange(queries), per_query)
    labels = np.zeros(n, dtype=np.int8)
    for q in range(queries):
        block = slice(q * per_query, (q + 1) * per_query)
        dense[block, 1] = dense[block, 0] - dense[block, 0].max()
        labels[q * per_query + int(np.argmax(dense[block, 0]))] = 1
    texts = [f"t{i}" for i in range(n)]
    relevant = [frozenset(texts[i] for i in np.flatnonzero((query == q) & (labels == 1))) for q in range(queries)]
    return Rows(dense, [[] for _ in range(n)], labels, query, texts, relevant)


def test_list_position_does_not_depend_on_the_order_of_the_candidates() -> None:
    scores = np.array([0.5, 2.0, -1.0, 2.0])
    order = np.array([2, 0, 3, 1])
    np.testing.assert_allclose(list_position(scores)[order], list_position(scores[order]))
    assert list_position(scores)[:, 2].tolist() == [2.0, 0.0, 3.0, 0.0]  # ties share the best rank


def test_stack_features_append_the_linear_score_and_its_position_per_list() -> None:
    dense = np.ones((4, len(DENSE_NAMES)))
    logits = np.array([1.0, 3.0, 0.0, 2.0])
    x = stack_features(dense, logits, [7, 7, 9, 9])
    assert x.shape == (4, len(STACK_NAMES))
    assert x[:, len(DENSE_NAMES) - 1].tolist() == logits.tolist()
    assert x[:, -1].tolist() == [1.0, 0.0, 1.0, 0.0]  # ranks within each list
    with pytest.raises(ValueError, match="DENSE_NAMES"):
        stack_features(np.ones((4, 3)), logits)


def test_trees_trained_out_of_fold_rank_the_relevant_candidate_first() -> None:
    train = [_rows(1), _rows(2), _rows(3)]
    trees = fit_trees(train, 0.3, False, trees=30, leaves=7, rate=0.1)
    held_out = _rows(4)
    model = LinearModel("m", *_zero_linear(), 0.0, None)  # a constant linear score: the trees alone must rank
    metrics, _, _ = score_metrics(stacked_scores(model, trees, held_out), held_out)
    assert metrics["mrr"] > 0.8


def _zero_linear() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(DENSE_NAMES)
    return np.zeros(n, np.float32), np.zeros(n, np.float32), np.ones(n, np.float32)


def test_a_model_file_with_trees_scores_through_them(tmp_path: Path) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    artifact = json.loads(default_model_path().read_text(encoding="utf-8"))
    rng = np.random.default_rng(5)
    x = rng.normal(size=(300, len(STACK_NAMES)))
    y = (x[:, 0] > 0).astype(int)  # the trees follow the dense cosine alone
    trees = TreeEnsemble.from_sklearn(HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(x, y))
    artifact["trees"] = {"features": list(STACK_NAMES), "trees": trees.to_json()}
    path = tmp_path / "model.json"
    path.write_text(json.dumps(artifact), encoding="utf-8")
    reranker = LearnedReranker(path)
    query = "花呗怎么还款"
    passages = [_candidate("花呗还款方式", 0.9, 1), _candidate("借呗还款方式", -0.5, 2)]
    scores = reranker.score(query, passages)
    dense = dense_features(query, passages)
    linear = reranker.model.predict(dense, None if reranker.model.hash_weights is None else _buckets(query, passages))
    expected = 1.0 / (1.0 + np.exp(-trees.decision(stack_features(dense, linear_logits(linear)))))
    np.testing.assert_allclose(scores, expected, rtol=1e-5)
    assert scores[0] > scores[1]
    assert reranker.score(query, passages[::-1]) == scores[::-1]

    artifact["trees"]["features"] = list(STACK_NAMES[:-1])
    path.write_text(json.dumps(artifact), encoding="utf-8")
    with pytest.raises(ValueError, match="retrain"):
        LearnedReranker(path)


def _buckets(query: str, passages: list[Passage]) -> list[list[int]]:
    from serving.rerank.features import word_buckets

    return word_buckets(query, passages)
