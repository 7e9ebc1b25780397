"""Behaviour of IntentModel trained on a tiny data set."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from processors.intent import UNKNOWN_INTENT, IntentModel

from .conftest import TINY_EXAMPLES


def test_predicts_the_label_of_an_unseen_paraphrase(tiny_model: IntentModel) -> None:
    predictions = tiny_model.predict(["我的快递到哪里了", "退款怎么申请", "发票能开吗"])
    assert [prediction.intent for prediction in predictions] == [
        "where_is_my_order",
        "return_refund",
        "invoice",
    ]
    assert all(0.0 < prediction.confidence <= 1.0 for prediction in predictions)


def test_gibberish_and_off_topic_text_are_unknown(tiny_model: IntentModel) -> None:
    predictions = tiny_model.predict(["zxqwv", "明天天气好吗", ""])
    assert [prediction.intent for prediction in predictions] == [UNKNOWN_INTENT] * 3
    assert all(prediction.intents == () for prediction in predictions)


def test_message_with_two_requests_carries_both_intents(tiny_model: IntentModel) -> None:
    (prediction,) = tiny_model.predict(["我要退货，另外发票怎么开"])
    labels = [label for label, _ in prediction.intents]
    assert set(labels) == {"return_refund", "invoice"}
    assert labels[0] == prediction.intent


def test_single_request_carries_one_intent(tiny_model: IntentModel) -> None:
    (prediction,) = tiny_model.predict(["快递到哪了"])
    assert [label for label, _ in prediction.intents] == ["where_is_my_order"]


def test_same_data_and_seed_give_identical_probabilities() -> None:
    first = IntentModel.train(TINY_EXAMPLES, seed=3, calibration_folds=2)
    second = IntentModel.train(TINY_EXAMPLES, seed=3, calibration_folds=2)
    texts = ["退货", "物流", "发票"]
    np.testing.assert_array_equal(first.probabilities(texts), second.probabilities(texts))


def test_save_then_load_predicts_identically(tiny_model: IntentModel, tmp_path: Path) -> None:
    tiny_model.save(tmp_path / "model")
    loaded = IntentModel.load(tmp_path / "model")
    texts = ["我要退货，另外发票怎么开", "快递呢", "zzz", "refund please"]
    assert loaded.predict(texts) == tiny_model.predict(texts)
    assert loaded.labels == tiny_model.labels
    assert loaded.calibration == tiny_model.calibration


def test_saved_metadata_records_provenance_and_thresholds(tiny_model: IntentModel, tmp_path: Path) -> None:
    tiny_model.save(tmp_path)
    metadata = json.loads((tmp_path / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["labels"] == list(tiny_model.labels)
    assert len(metadata["data_sha256"]) == 64
    assert metadata["n_examples"] == len(TINY_EXAMPLES)
    assert {"unknown_threshold", "multi_threshold", "temperature"} <= set(metadata["calibration"])
    assert "cv_accuracy" in metadata["metrics"] and "trained_at" in metadata


def test_partial_update_learns_a_corrected_intent() -> None:
    model = IntentModel.train(TINY_EXAMPLES, seed=0, calibration_folds=2)
    text = "我要找真人客服"
    before = model.predict([text])[0]
    assert before.intent != "ask_human"
    model.partial_update([(text, "ask_human")] * 3)
    assert "ask_human" in model.labels
    assert model.predict([text])[0].intent == "ask_human"
    assert model.predict(["帮我查一下物流"])[0].intent == "where_is_my_order"


def test_unknown_training_parameter_is_rejected() -> None:
    with pytest.raises(TypeError, match="regularisation"):
        IntentModel.train(TINY_EXAMPLES, regularisation=1.0)


def test_training_needs_two_labels() -> None:
    with pytest.raises(ValueError, match="two distinct labels"):
        IntentModel.train([("退货", "return_refund"), ("退款", "return_refund")])


def test_empty_batch_gives_no_predictions(tiny_model: IntentModel) -> None:
    assert tiny_model.predict([]) == []


def test_label_descriptions_count_as_many_times_as_the_settings_say() -> None:
    # Two mislabelled rows repeat the logistics description's text under the invoice label; the description
    # itself (a row whose text is its label, as with_label_descriptions adds it) outweighs them only when it
    # counts more than twice.
    logistics, invoice = "买家咨询物流信息", "买家咨询发票问题"
    examples = [(text, logistics) for text in ("快递到哪了", "包裹还没到", "什么时候到货")]
    examples += [(text, invoice) for text in ("能开票吗", "税号写错了", "要增值税专票")]
    examples += [(logistics, invoice), (logistics, invoice), (logistics, logistics), (invoice, invoice)]
    once = IntentModel.train(examples, seed=0, calibration_folds=2, label_description_copies=1)
    five = IntentModel.train(examples, seed=0, calibration_folds=2, label_description_copies=5)
    assert once.best_labels([logistics]) == [invoice]
    assert five.best_labels([logistics]) == [logistics]
    assert once.metadata["n_examples"] == five.metadata["n_examples"] == len(examples)  # copies are not data
    with pytest.raises(ValueError, match="at least 1"):
        IntentModel.train(examples, label_description_copies=0)
