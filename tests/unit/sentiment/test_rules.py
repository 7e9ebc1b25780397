"""Cue finding, the neutral rules, the emotion softmax and the held-out split, without a model."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from processors.sentiment import SentimentPrediction, evaluate_sentiment
from processors.sentiment.calibration import fit_neutral_half_width
from processors.sentiment.cues import find_cues, is_shouting
from processors.sentiment.emotion import infer_emotion
from processors.sentiment.evaluation import holdout_bucket, split_holdout
from processors.sentiment.polarity import decide_polarity


@pytest.mark.parametrize("text", ["不满意", "没解决", "not satisfied", "I'm not happy"])
def test_negated_satisfaction_pushes_negative_and_is_not_satisfied(text: str) -> None:
    cues = find_cues(text)
    assert cues.satisfied == 0.0
    assert cues.polarity_shift < 0


def test_negation_does_not_cross_a_clause_break() -> None:
    assert find_cues("没问题，谢谢").satisfied > 0


@pytest.mark.parametrize("turn", ["但是", "不过", "but", "however"])
def test_the_clause_after_a_contrast_carries_more_weight_in_chinese_and_english_text(turn: str) -> None:
    # Chinese-only text skips the English scans; a Latin letter anywhere brings them back (same result).
    after, before = find_cues(f"谢谢 {turn} 气死我了"), find_cues(f"气死我了 {turn} 谢谢")
    assert after.angry > before.angry > 0


def test_english_cues_are_found_beside_chinese_text() -> None:
    cues = find_cues("收到了，terrible quality")
    assert cues.polar_cue_count >= 1 and cues.polarity_shift < 0


def test_longest_cue_wins() -> None:
    assert find_cues("气死我了").polar_cue_count == 1


@pytest.mark.parametrize(
    "text",
    [
        "请问我的快递到哪了",
        "发票怎么开",
        "how do I change my address?",
        "Good morning, I need to update my card",
    ],
)
def test_requests_are_detected_without_cues(text: str) -> None:
    cues = find_cues(text)
    assert cues.is_request
    assert cues.polar_cue_count == 0


def test_shouting_needs_mostly_capitals() -> None:
    assert is_shouting("I WANT MY MONEY BACK")
    assert not is_shouting("I bought a USB hub from DHL")


def test_plain_request_is_neutral_even_when_the_model_says_negative() -> None:
    polarity, score = decide_polarity(0.02, find_cues("退货地址是哪里"), half_width=0.1)
    assert polarity == "neutral"
    assert -0.25 <= score < 0


def test_band_applies_only_to_messages_without_cues() -> None:
    assert decide_polarity(0.4, find_cues("收到了"), half_width=0.2)[0] == "neutral"
    assert decide_polarity(0.4, find_cues("收到了，太差了"), half_width=0.2)[0] == "negative"


def test_emotion_without_any_evidence_is_neutral() -> None:
    emotion, confidence = infer_emotion(find_cues("收到了"), 0.0)
    assert emotion == "neutral"
    assert 0.25 < confidence < 0.7


def test_calibration_prefers_the_narrowest_best_band() -> None:
    cues = find_cues("收到了")
    width, accuracy = fit_neutral_half_width([0.42, 0.1, 0.9], [cues] * 3, ["neutral", "negative", "positive"])
    assert (width, accuracy) == (0.1, 1.0)


def test_holdout_split_is_stable_and_keeps_duplicates_together() -> None:
    examples = [(f"评论{i}", i % 2) for i in range(200)] + [("评论7", 1)]
    train, held_out = split_holdout(examples)
    assert len(train) + len(held_out) == len(examples)
    assert 5 <= len(held_out) <= 40
    sides = {text in {t for t, _ in held_out} for text, _ in examples if text == "评论7"}
    assert len(sides) == 1
    assert holdout_bucket("评论7") == holdout_bucket("评论7")


class FixedScores:
    def __init__(self, scores: Sequence[float]) -> None:
        self.scores = scores

    def predict(self, texts: Sequence[str]) -> list[SentimentPrediction]:
        return [
            SentimentPrediction("neutral" if abs(s) < 0.2 else "positive" if s > 0 else "negative", s, "neutral", 0.5)
            for s in self.scores[: len(texts)]
        ]


def test_evaluate_reads_polarity_from_the_sign_of_the_score() -> None:
    examples = [("a", 1), ("b", 1), ("c", 0), ("d", 0)]
    figures = evaluate_sentiment(FixedScores([0.9, 0.1, -0.1, 0.5]), examples)
    assert figures["n"] == 4
    assert figures["accuracy"] == figures["micro_f1"] == 0.75
    assert figures["macro_f1"] == pytest.approx((0.8 + 2 / 3) / 2)
    assert figures["neutral_rate"] == 0.5


@pytest.mark.parametrize("text", ["送妈妈的礼物", "阳光灿烂", "滚筒洗衣机"])
def test_phrases_that_merely_contain_a_cue_are_not_cues(text: str) -> None:
    assert find_cues(text).polar_cue_count == 0


def test_two_brand_names_in_capitals_are_not_shouting() -> None:
    assert not find_cues("HUAWEI手机可以用HUAWEI的数据线吗").shouting


def test_exclamations_add_to_anger_only_when_the_message_is_negative() -> None:
    assert infer_emotion(find_cues("太慢了"), -0.6)[0] == "neutral"
    assert infer_emotion(find_cues("太慢了!!!"), -0.6)[0] == "angry"
    assert infer_emotion(find_cues("太好了!!!"), 0.8)[0] == "satisfied"


def test_a_not_a_question_is_not_a_negation() -> None:
    cues = find_cues("能不能快点")
    assert cues.anxious > 0


def test_the_clause_after_a_contrast_carries_the_verdict() -> None:
    assert find_cues("谢谢，不过问题还没解决").polarity_shift < 0
    assert find_cues("有点贵，但是质量很好").polarity_shift > 0
    assert infer_emotion(find_cues("谢谢，不过问题还没解决"), -0.8)[0] != "satisfied"
