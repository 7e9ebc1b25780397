"""Training, saving and loading a model; the shipped default model and its reproducible build."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from processors.sentiment import SentimentModel, load_default_sentiment_model
from processors.sentiment.build_default import build
from processors.sentiment.default import DEFAULT_MODEL_DIR

TINY = [
    ("质量很好，很满意", 1),
    ("物流很快，好评", 1),
    ("great product, works well", 1),
    ("东西不错，推荐", 1),
    ("质量太差，坏了", 0),
    ("物流太慢，差评", 0),
    ("broken on arrival, bad", 0),
    ("东西很差，失望", 0),
]


def test_train_records_metadata_and_learns_the_training_examples() -> None:
    model = SentimentModel.train(TINY, seed=3)
    assert model.metadata["n_examples"] == len(TINY)
    assert model.metadata["seed"] == 3
    assert len(model.metadata["data_sha256"]) == 64
    assert model.metadata["metrics"]["train_accuracy"] == 1.0
    predictions = model.predict([text for text, _ in TINY])
    assert [1 if p.score > 0 else 0 for p in predictions] == [label for _, label in TINY]


def test_train_refuses_a_single_class() -> None:
    with pytest.raises(ValueError, match="both labels"):
        SentimentModel.train([("好", 1), ("很好", 1)])


def test_save_then_load_gives_identical_predictions_and_metadata(tmp_path: Path) -> None:
    model = SentimentModel.train(TINY)
    model.add_metrics("held_out", {"accuracy": 0.5, "n": 2})
    model.save(tmp_path / "model")
    loaded = SentimentModel.load(tmp_path / "model")
    texts = ["质量很好", "太差了", "请问怎么退货", "THANK YOU"]
    assert loaded.predict(texts) == model.predict(texts)
    assert loaded.metadata == model.metadata
    saved = json.loads((tmp_path / "model" / "metadata.json").read_text(encoding="utf-8"))
    assert {"version", "metrics", "trained_at", "data_sha256"} <= saved.keys()
    assert saved["metrics"]["held_out"] == {"accuracy": 0.5, "n": 2}


def test_load_rejects_an_unknown_format(tmp_path: Path) -> None:
    SentimentModel.train(TINY).save(tmp_path)
    metadata = json.loads((tmp_path / "metadata.json").read_text(encoding="utf-8"))
    metadata["format_version"] = 999
    (tmp_path / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    with pytest.raises(ValueError, match="unsupported model format"):
        SentimentModel.load(tmp_path)


def test_default_model_loads_and_is_small() -> None:
    model = load_default_sentiment_model()
    assert model.metadata["version"].startswith("char14-tfidf-logreg")
    assert sum(path.stat().st_size for path in DEFAULT_MODEL_DIR.iterdir()) < 5 * 2**20


def _same_up_to_rounding(rebuilt: object, shipped: object) -> bool:
    """JSON values equal, floats to 1e-9 relative: the solver's last bits follow the CPU's vector instructions."""
    if isinstance(rebuilt, float) and isinstance(shipped, float):
        return math.isclose(rebuilt, shipped, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(rebuilt, dict) and isinstance(shipped, dict):
        return rebuilt.keys() == shipped.keys() and all(_same_up_to_rounding(rebuilt[k], shipped[k]) for k in shipped)
    if isinstance(rebuilt, list) and isinstance(shipped, list):
        return len(rebuilt) == len(shipped) and all(map(_same_up_to_rounding, rebuilt, shipped))
    return rebuilt == shipped


def test_shipped_default_model_is_what_build_default_writes(tmp_path: Path) -> None:
    """Bit-for-bit on the machine it was built on; elsewhere (another CPU's BLAS kernels) to rounding."""
    build(tmp_path)
    for shipped in sorted(DEFAULT_MODEL_DIR.iterdir()):
        rebuilt = tmp_path / shipped.name
        if shipped.suffix == ".npy":
            built, kept = np.load(rebuilt), np.load(shipped)
            assert built.dtype == kept.dtype and built.shape == kept.shape, shipped.name
            np.testing.assert_allclose(built, kept, rtol=1e-6, atol=1e-9, err_msg=shipped.name)
        elif shipped.suffix == ".json":
            built_json = json.loads(rebuilt.read_text(encoding="utf-8"))
            kept_json = json.loads(shipped.read_text(encoding="utf-8"))
            assert _same_up_to_rounding(built_json, kept_json), shipped.name
        else:
            assert rebuilt.read_bytes() == shipped.read_bytes(), shipped.name
