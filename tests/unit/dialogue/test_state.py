"""Dialogue state: slots across turns, corrections, serialisation, bounds."""

from __future__ import annotations

import json

import pytest

from processors.dialogue import DialogueState, StateConfig, extract_slots, record_reply, update_state


def customer(text: str, **extra: object) -> dict[str, object]:
    return {"role": "customer", "text": text, **extra}


def test_slots_carry_across_a_topic_switch_and_a_restatement_corrects_them() -> None:
    state = DialogueState()
    state = update_state(state, customer("订单KF20250701080808的耳机能退货吗？"))
    state = update_state(state, customer("另外发票怎么开？", intent="invoice"))
    assert state.slots == {"order_id": "KF20250701080808", "product": "耳机"}
    assert state.topic == "invoices" and state.topics == ("returns", "invoices")
    state = update_state(state, customer("不对，订单号是KF20250701080809"))
    assert state.slots["order_id"] == "KF20250701080809"
    assert state.slots["product"] == "耳机"


def test_phone_slot_holds_the_placeholder_from_pii_entities() -> None:
    event = customer(
        "电话[PHONE_1]", pii_entities=[{"type": "PHONE", "placeholder": "[PHONE_1]", "start": 2, "end": 13}]
    )
    assert update_state(DialogueState(), event).slots == {"phone": "[PHONE_1]"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "运单号SF1234567890123，订单号2025060312345678",
            {"tracking_no": "SF1234567890123", "order_id": "2025060312345678"},
        ),
        ("order number KF20250101000001 stopped working", {"order_id": "KF20250101000001", "reason": "quality"}),
        ("我的手机号是[PHONE_1]", {"phone": "[PHONE_1]"}),
        ("昨天买的扫地机器人漏发了配件", {"date": "昨天", "product": "扫地机器人", "reason": "missing_item"}),
        ("用支付宝付了¥59.9", {"payment_method": "alipay", "amount": "59.9"}),
        ("我买的加湿器坏了", {"product": "加湿器", "reason": "quality"}),
    ],
)
def test_extract_slots_reads_identifiers_products_reasons_and_money(text: str, expected: dict[str, str]) -> None:
    assert extract_slots(text) == expected


def test_state_round_trips_through_json() -> None:
    state = update_state(DialogueState("c1", "t1"), customer("耳机坏了", ts=5, sentiment={"emotion": "angry"}))
    state = record_reply(state, "非常抱歉[1]。", action="answer", ts=6)
    restored = DialogueState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state
    assert restored.turns[-1].role == "bot"


def test_state_written_by_a_newer_version_is_refused() -> None:
    with pytest.raises(ValueError, match="newer"):
        DialogueState.from_dict({"version": 99})


def test_history_and_summary_stay_bounded() -> None:
    config = StateConfig(max_turns=3, max_emotions=2, summary_max_chars=40)
    state = DialogueState()
    for n in range(10):
        state = update_state(
            state, customer(f"第{n}个问题：退货运费谁出", sentiment={"emotion": "angry"}), config=config
        )
    assert len(state.turns) == 3 and len(state.emotions) == 2
    assert len(state.summary) <= 40
    assert state.turn_count == 10


def test_clarifications_count_in_a_row_and_reset_on_an_answer() -> None:
    state = record_reply(record_reply(DialogueState(), "?", action="clarify"), "?", action="clarify")
    assert state.clarifications == 2
    assert record_reply(state, "你好", action="canned").clarifications == 2
    assert record_reply(state, "答[1]", action="answer").clarifications == 0
    assert record_reply(state, "转人工", action="handoff").handed_off


def test_agent_messages_are_recorded_but_change_no_slot() -> None:
    state = update_state(DialogueState(), {"role": "agent", "text": "订单KF20250101000001已处理"})
    assert state.slots == {} and state.turn_count == 0 and state.turns[0].role == "agent"


def test_summary_names_slots_and_anger_in_english_for_english_conversations() -> None:
    state = DialogueState(locale="en-US")
    state = update_state(state, customer("my laptop is broken", sentiment={"emotion": "angry"}))
    state = update_state(state, customer("order number KF20250101000001", sentiment={"emotion": "angry"}))
    assert "product 笔记本电脑" in state.summary and "order KF20250101000001" in state.summary
    assert "angry (2 turns in a row)" in state.summary
