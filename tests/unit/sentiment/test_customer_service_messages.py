"""The shipped model on customer-service messages: neutral questions, angry, anxious, satisfied."""

from __future__ import annotations

import pytest

from processors.sentiment import SentimentModel
from processors.sentiment.sample_data import TEST_FILE, read_labelled_messages

NEUTRAL_QUESTIONS = [
    "请问我的快递到哪了",
    "how do I change my address?",
    "发票怎么开",
    "你们周末上班吗",
    "这个充电器能用在平板上吗",
    "帮我查下订单2023110588",
    "退款一般几天到账",
    "Can I get a receipt for my purchase?",
    "What time do you close today?",
    "请问怎么修改密码",
    "我想问一下有没有蓝色的",
    "Do you have this in size M?",
    "在吗",
    "能不能改成明天送",
    "快递到了会打电话吗",
    "How do I contact a human agent?",
    "订单里的赠品怎么领取",
    "可以分开发货吗",
    "Is delivery free for orders over 100 yuan?",
    "请问退货需要原包装吗",
]


def test_written_neutral_questions_are_at_least_95_percent_neutral(default_model: SentimentModel) -> None:
    predictions = default_model.predict(NEUTRAL_QUESTIONS)
    not_neutral = [
        (text, p.polarity) for text, p in zip(NEUTRAL_QUESTIONS, predictions, strict=True) if p.polarity != "neutral"
    ]
    assert len(not_neutral) <= 0.05 * len(NEUTRAL_QUESTIONS), not_neutral


def test_neutral_questions_are_never_negative(default_model: SentimentModel) -> None:
    predictions = default_model.predict(NEUTRAL_QUESTIONS)
    assert [p.polarity for p in predictions].count("negative") == 0


def test_shipped_neutral_test_set_is_at_least_95_percent_neutral(default_model: SentimentModel) -> None:
    neutral = [m.text for m in read_labelled_messages(TEST_FILE) if m.polarity == "neutral"]
    predictions = default_model.predict(neutral)
    share = sum(p.polarity == "neutral" for p in predictions) / len(neutral)
    assert len(neutral) >= 50
    assert share >= 0.95


def test_shipped_emotion_test_set_is_mostly_right(default_model: SentimentModel) -> None:
    messages = read_labelled_messages(TEST_FILE)
    predictions = default_model.predict([m.text for m in messages])
    right = sum(m.emotion == p.emotion for m, p in zip(messages, predictions, strict=True))
    assert right / len(messages) >= 0.9


@pytest.mark.parametrize(
    "text",
    ["你们这什么破服务，气死我了", "垃圾客服，我要投诉", "THIS IS UNACCEPTABLE, I WANT MY MONEY BACK"],
)
def test_complaints_are_negative_and_angry(default_model: SentimentModel, text: str) -> None:
    (prediction,) = default_model.predict([text])
    assert prediction.polarity == "negative"
    assert prediction.emotion == "angry"
    assert prediction.score < 0


@pytest.mark.parametrize(
    "text", ["太感谢了，问题解决了", "Thanks a lot, the refund arrived and everything is resolved"]
)
def test_thanks_are_positive_and_satisfied(default_model: SentimentModel, text: str) -> None:
    (prediction,) = default_model.predict([text])
    assert prediction.polarity == "positive"
    assert prediction.emotion == "satisfied"
    assert prediction.score > 0


@pytest.mark.parametrize("text", ["怎么还没发货，我急用", "It's urgent, please ship asap", "催一下，等了好几天了"])
def test_urgency_is_anxious_and_not_positive(default_model: SentimentModel, text: str) -> None:
    (prediction,) = default_model.predict([text])
    assert prediction.emotion == "anxious"
    assert prediction.polarity != "positive"


def test_negated_praise_is_not_satisfied(default_model: SentimentModel) -> None:
    (prediction,) = default_model.predict(["对这次处理结果很不满意"])
    assert prediction.polarity == "negative"
    assert prediction.emotion != "satisfied"


def test_more_agreeing_cues_give_higher_emotion_confidence(default_model: SentimentModel) -> None:
    weak, strong = default_model.predict(["谢谢", "太感谢了，问题解决了，你们真棒，五星好评"])
    assert weak.emotion == strong.emotion == "satisfied"
    assert strong.emotion_confidence > weak.emotion_confidence


def test_plain_question_has_lower_emotion_confidence_than_a_rant(default_model: SentimentModel) -> None:
    question, rant = default_model.predict(["发票怎么开", "气死我了，垃圾服务，我要投诉！！！"])
    assert question.emotion == "neutral"
    assert rant.emotion_confidence > question.emotion_confidence


def test_scores_stay_in_range_and_batch_matches_single(default_model: SentimentModel) -> None:
    texts = ["好评", "差评!!", "", "   ", "ok", "请问" * 400]
    batch = default_model.predict(texts)
    singles = [default_model.predict([text])[0] for text in texts]
    assert batch == singles
    assert all(-1.0 <= p.score <= 1.0 and 0.25 <= p.emotion_confidence <= 1.0 for p in batch)


def test_empty_batch_gives_empty_list(default_model: SentimentModel) -> None:
    assert default_model.predict([]) == []
