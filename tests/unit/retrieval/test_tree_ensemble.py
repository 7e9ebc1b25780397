"""Trees flattened from scikit-learn score exactly as scikit-learn does, also after a JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from serving.rerank.trees import TreeEnsemble


def _fitted() -> tuple[HistGradientBoostingClassifier, np.ndarray]:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(600, 5))
    x[rng.random(600) < 0.1, 2] = np.nan  # missing values take each split's learned side
    y = ((x[:, 0] + np.nan_to_num(x[:, 2]) ** 2 - x[:, 4]) > 0.5).astype(int)
    model = HistGradientBoostingClassifier(max_iter=30, max_leaf_nodes=7, random_state=0).fit(x, y)
    return model, x


def test_flattened_trees_give_scikit_learns_decision_function() -> None:
    model, x = _fitted()
    trees = TreeEnsemble.from_sklearn(model)
    assert len(trees.roots) == 30
    np.testing.assert_allclose(trees.decision(x), model.decision_function(x), rtol=1e-9, atol=1e-9)


def test_json_round_trip_keeps_the_scores() -> None:
    model, x = _fitted()
    trees = TreeEnsemble.from_sklearn(model)
    again = TreeEnsemble.from_json(json.loads(json.dumps(trees.to_json())))
    np.testing.assert_allclose(again.decision(x[:50]), trees.decision(x[:50]), rtol=1e-12)


def test_a_row_that_is_not_two_dimensional_is_refused() -> None:
    model, _ = _fitted()
    with pytest.raises(ValueError, match="2-d"):
        TreeEnsemble.from_sklearn(model).decision(np.zeros(5))
