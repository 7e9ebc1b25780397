"""Question condensation: follow-ups become standalone queries, standalone questions stay as they are."""

from __future__ import annotations

import pytest

from processors.dialogue import DialogueState, condense_question, is_follow_up, retrieval_query, slot_statement

RETURNS = DialogueState(last_query="耳机可以退货吗", topic="returns", slots={"product": "耳机"})
REFUNDS = DialogueState(last_query="退款多久到账？", topic="refunds")
EN = DialogueState(
    locale="en-US", last_query="can I return my laptop?", topic="returns", slots={"product": "笔记本电脑"}
)


@pytest.mark.parametrize(
    ("text", "state", "must_contain"),
    [
        ("那运费呢？", RETURNS, ("耳机", "退货", "运费")),
        ("那退款呢", RETURNS, ("耳机", "退款")),
        ("这个能保修吗", RETURNS, ("耳机", "保修")),
        ("要多久？", REFUNDS, ("退款", "多久")),
        ("我是用信用卡付的", REFUNDS, ("退款多久到账", "信用卡")),
        ("how much is it?", EN, ("laptop",)),
        ("what about refunds?", EN, ("refunds", "laptop")),
    ],
)
def test_follow_ups_are_rewritten_with_the_context_they_lean_on(
    text: str, state: DialogueState, must_contain: tuple[str, ...]
) -> None:
    rewritten = condense_question(text, state)
    assert rewritten != text
    for word in must_contain:
        assert word in rewritten


@pytest.mark.parametrize("text", ["发票怎么开？", "冰箱压缩机保修几年？", "How long does a refund take?", "谢谢"])
def test_standalone_questions_and_small_talk_are_left_untouched(text: str) -> None:
    assert not is_follow_up(text, RETURNS)
    assert condense_question(text, RETURNS) == text


def test_nothing_is_a_follow_up_at_the_start_of_a_conversation() -> None:
    assert condense_question("那运费呢？", DialogueState()) == "那运费呢？"


def test_the_rewrite_hook_is_tried_first_and_the_rules_take_over_when_it_gives_nothing() -> None:
    assert (
        condense_question("那运费呢？", RETURNS, rewrite=lambda text, state: "耳机退货运费谁承担？")
        == "耳机退货运费谁承担？"
    )
    assert "耳机" in condense_question("那运费呢？", RETURNS, rewrite=lambda text, state: None)


def test_identifier_statements_and_retrieval_queries() -> None:
    assert slot_statement("订单号是KF20250512083015") == frozenset({"order_id"})
    assert slot_statement("订单号KF20250512083015到哪了？") == frozenset()
    assert "KF" not in retrieval_query("订单KF20250512083015的耳机一直没发货")
