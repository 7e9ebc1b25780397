"""The default model shipped in the package and the sample data it is built from."""

from __future__ import annotations

import json

import pytest

from processors.intent import UNKNOWN_INTENT, load_default_intent_model, read_intent_examples
from processors.intent.default import DEFAULT_MODEL_DIR, SAMPLE_DATA_DIR


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("我的快递到哪了", "where_is_my_order"),
        ("怎么还不发货", "urge_shipping"),
        ("转人工", "ask_human"),
        ("I want a refund", "return_refund"),
        ("收货地址写错了", "change_address"),
        ("谢谢你", "thanks"),
    ],
)
def test_default_model_classifies_typical_messages(text: str, intent: str) -> None:
    assert load_default_intent_model().predict([text])[0].intent == intent


def test_default_model_says_unknown_for_off_topic_text() -> None:
    predictions = load_default_intent_model().predict(["明天北京会下雨吗", "xkcdqwv"])
    assert [prediction.intent for prediction in predictions] == [UNKNOWN_INTENT, UNKNOWN_INTENT]


def test_default_model_finds_both_intents_of_a_two_part_message() -> None:
    (prediction,) = load_default_intent_model().predict(["改一下地址，顺便催一下发货"])
    assert {label for label, _ in prediction.intents} == {"change_address", "urge_shipping"}


def test_default_model_fits_most_of_its_own_sample_data() -> None:
    examples = read_intent_examples([SAMPLE_DATA_DIR / "intents.jsonl"])
    predictions = load_default_intent_model().predict([text for text, _ in examples])
    agreement = sum(p.intent == label for p, (_, label) in zip(predictions, examples, strict=True))
    assert agreement / len(examples) > 0.9


def test_default_model_metadata_matches_sample_data() -> None:
    metadata = json.loads((DEFAULT_MODEL_DIR / "metadata.json").read_text(encoding="utf-8"))
    labels = {label for _, label in read_intent_examples([SAMPLE_DATA_DIR / "intents.jsonl"])}
    assert set(metadata["labels"]) == labels
    assert sum(path.stat().st_size for path in DEFAULT_MODEL_DIR.iterdir()) < 5 * 2**20


def test_every_sample_label_has_a_chinese_description() -> None:
    descriptions = {
        row["label"]: row["label_des"]
        for row in map(json.loads, (SAMPLE_DATA_DIR / "labels.jsonl").read_text(encoding="utf-8").splitlines())
    }
    labels = {label for _, label in read_intent_examples([SAMPLE_DATA_DIR / "intents.jsonl"])}
    assert labels == set(descriptions)
    assert all(any("\u4e00" <= char <= "\u9fff" for char in text) for text in descriptions.values())
