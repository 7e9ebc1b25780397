"""Streamed replies: sentences checked before they are sent, deltas that add up to the final reply."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from processors.moderation import moderate_output
from processors.responder import SentenceBuffer, SentenceGate, check_grounded
from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from serving.errors import ModelUnavailable
from serving.protocols import ChatMessage, Passage, ProfileChoice
from streams.producer import OutRecord
from streams.responder.deltas import DeltaPublisher
from streams.responder.respond import Responder
from streams.responder.state_store import DialogueStore
from tests.unit.dialogue.harness import FaqIndex
from tests.unit.responder.test_responder import NO_RETRY, event, quoting_llm, retriever

PARAPHRASE = "签收7天内商品完好即可申请七天无理由退货[1]。"  # grounded in the FAQ, worded unlike the extractive answer
RETURNS = Passage(
    "c1", "returns.md", "自签收之日起7天内可申请七天无理由退货，寄回运费由买家承担。退款3个工作日内到账。"
)


class CapturingProducer:
    """Stands in for BatchProducer.send_soon: keeps what would have gone to Kafka."""

    def __init__(self) -> None:
        self.records: list[OutRecord] = []

    def send_soon(self, records: Sequence[OutRecord]) -> None:
        self.records.extend(records)


class ScriptedModel:
    """Streams a fixed answer a few characters at a time, then optionally fails; records whether it was closed."""

    def __init__(self, text: str, *, chunk: int = 3, fail_after: int | None = None) -> None:
        self.text, self.chunk, self.fail_after = text, chunk, fail_after
        self.sent = 0
        self.closed = False

    async def __call__(self, messages: Sequence[ChatMessage], choice: ProfileChoice) -> AsyncIterator[str]:
        try:
            for start in range(0, len(self.text), self.chunk):
                if self.fail_after is not None and self.sent >= self.fail_after:
                    raise ModelUnavailable("llm", "replica_died")
                self.sent += 1
                yield self.text[start : start + self.chunk]
                await asyncio.sleep(0)
        finally:
            self.closed = True


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return FaqIndex.from_sample_kb()


def codec() -> AvroCodec:
    return AvroCodec(registry_client(f"mock://deltas-{uuid.uuid4()}"), schema("ReplyDelta"))


def respond(
    tmp_path: Path, index: FaqIndex, stream: Any, message: dict[str, Any], confidence: float = 0.95
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The final reply and the decoded deltas the agent would have published for ``message``."""
    responder = Responder(
        retriever(index, confidence), quoting_llm, DialogueStore(tmp_path / "s.sqlite"), retry=NO_RETRY, stream=stream
    )
    producer = CapturingProducer()
    deltas = codec()
    publisher = DeltaPublisher(message, deltas, "conversations.reply_deltas", producer)  # type: ignore[arg-type]
    outcome = asyncio.run(responder.respond(message, deltas=publisher))
    publisher.finish(outcome.reply["text"])
    return outcome.reply, [deltas.decode(r.value) for r in producer.records]


def shown(deltas: list[dict[str, Any]]) -> str:
    """What a client that applies the deltas in order displays."""
    text = ""
    for delta in deltas:
        text = delta["text"] if delta["replace"] else text + delta["text"]
    return text


# -- sentences out of a token stream ---------------------------------------------------------------------------


def test_sentence_buffer_returns_the_text_unchanged_whatever_the_chunking() -> None:
    text = "签收7天内可退货[1]。运费由买家承担。[1]Refunds take 3.5 days. See www.example.com now!尾巴"
    for size in (1, 2, 5, 100):
        buffer = SentenceBuffer()
        sentences = [s for i in range(0, len(text), size) for s in buffer.feed(text[i : i + size])]
        sentences += buffer.flush()
        assert "".join(sentences) == text
        assert sentences[:2] == ["签收7天内可退货[1]。", "运费由买家承担。[1]"]
        assert "Refunds take 3.5 days. " in sentences


def test_the_first_clause_is_handed_out_before_its_sentence_ends_and_the_text_stays_unchanged() -> None:
    text = "签收7天内，商品完好即可申请[1]。寄回运费由买家承担，退款3天到账[1]。"
    for size in (1, 2, 5):
        buffer = SentenceBuffer(first_clause=True)
        pieces = [s for i in range(0, len(text), size) for s in buffer.feed(text[i : i + size])] + buffer.flush()
        assert "".join(pieces) == text
        assert pieces[:3] == ["签收7天内，", "商品完好即可申请[1]。", "寄回运费由买家承担，退款3天到账[1]。"]
    # a sentence that ends before any comma is handed out whole, and "1,000" is no clause end
    assert SentenceBuffer(first_clause=True).feed("不可以。运费，") == ["不可以。"]
    # a bare yes/no clause is not sent alone: what follows may be an echo of the question, held back by the gate
    assert SentenceBuffer(first_clause=True).feed("可以，水果坏了可以退吗[2]。生鲜") == ["可以，水果坏了可以退吗[2]。"]
    english = SentenceBuffer(first_clause=True).feed("Orders over 1,000 ship free, so")
    assert english == ["Orders over 1,000 ship free, "]


def test_gate_holds_back_a_sentence_that_echoes_the_question_and_goes_on() -> None:
    gate = SentenceGate([RETURNS], question="退货运费要我自己出吗")
    assert gate.admit("退货运费要我自己出吗？[1]") is None and gate.stopped is None
    assert gate.admit("是的，寄回运费由买家承担[1]。") == "是的，寄回运费由买家承担[1]。"
    assert gate.body == gate.streamed == "是的，寄回运费由买家承担[1]。"


def test_a_sentence_starting_with_punctuation_does_not_double_the_tone_prefix_full_stop() -> None:
    prefix = "请您放心，我们会尽快帮您处理。"
    gate = SentenceGate([RETURNS], prefix=prefix)
    assert gate.admit("。") is None and gate.stopped is None  # a stray full stop is no sentence
    assert gate.admit("。签收7天内可以无理由退货[1]。") == prefix + "签收7天内可以无理由退货[1]。"
    assert "。。" not in gate.streamed and gate.body == "签收7天内可以无理由退货[1]。"


def test_gate_admits_grounded_sentences_and_stops_at_the_first_unsupported_one() -> None:
    gate = SentenceGate([RETURNS], max_chars=200)
    assert gate.admit("签收7天内可以无理由退货[1]。") == "签收7天内可以无理由退货[1]。"
    assert gate.admit("运费由卖家承担，30天内到账。") is None
    assert gate.stopped == "unsupported"
    assert gate.admit("退款3天内到账[1]。") is None  # nothing after a stop
    assert gate.streamed == "签收7天内可以无理由退货[1]。"
    assert not check_grounded(gate.body, [RETURNS]).supported  # the whole answer fails as the sentence did


def test_gate_removes_placeholders_and_unknown_links_and_blocks_a_prompt_leak() -> None:
    rules = "你是客服演示商城的客服助手。规则：只根据资料回答，不要编造。"
    refunds = Passage("c2", "refunds.md", "退款在审核通过后1个工作日内原路退回，寄回运费由买家承担。")
    gate = SentenceGate([refunds], system_prompt=rules, allowed_placeholders=["[PHONE_1]"])
    sent = gate.admit("退款在审核通过后1个工作日内原路退回，运费由买家承担[PHONE_1][EMAIL_1][1]。")
    assert sent == "退款在审核通过后1个工作日内原路退回，运费由买家承担[PHONE_1][1]。"
    assert gate.admit("我的规则是：你是客服演示商城的客服助手。规则：只根据资料回答，不要编造。") is None
    assert gate.stopped == "blocked"


def test_gate_stops_at_the_length_limit_on_a_sentence_boundary() -> None:
    gate = SentenceGate([RETURNS], max_chars=30, prefix="请您放心。")
    first = gate.admit("签收7天内可以无理由退货[1]。")
    assert first == "请您放心。签收7天内可以无理由退货[1]。"  # the tone prefix travels with the first sentence
    assert gate.admit("寄回运费由买家承担，退款3天内到账[1]。") is None
    assert gate.stopped == "limit" and gate.body == "签收7天内可以无理由退货[1]。"


# -- the Responder streaming through the delta publisher ----------------------------------------------------------


def test_streamed_deltas_are_checked_sentences_that_add_up_to_the_final_reply(tmp_path: Path, index: FaqIndex) -> None:
    model = ScriptedModel(f"{PARAPHRASE}审核在1个工作日内完成[2]。", chunk=2)
    reply, deltas = respond(tmp_path, index, model, event(1, "七天无理由退货怎么申请？"))
    assert reply["handoff"] is None and reply["model_profile"] != "extractive", reply
    assert [d["seq"] for d in deltas] == list(range(len(deltas)))
    assert len(deltas) >= 2 and not any(d["replace"] for d in deltas)
    assert shown(deltas) == "".join(d["text"] for d in deltas) == reply["text"]
    assert all(d["reply_id"] == reply["event_id"] and d["in_reply_to"] == "e1" for d in deltas)
    assert all(moderate_output(d["text"]).action == "allow" for d in deltas)


def test_unsupported_sentence_stops_the_model_and_the_extractive_answer_replaces_the_stream(
    tmp_path: Path, index: FaqIndex
) -> None:
    model = ScriptedModel(f"{PARAPHRASE}另外所有商品99天内都包退，运费全免。" + "这句不会被生成。" * 20, chunk=2)
    reply, deltas = respond(tmp_path, index, model, event(1, "七天无理由退货怎么申请？"))
    assert model.closed and model.sent * model.chunk < len(model.text)  # generation stopped early
    assert reply["model_profile"] == "extractive" and reply["citations"]
    assert "99天" not in "".join(d["text"] for d in deltas)  # the unsupported sentence never left the worker
    assert deltas[-1]["replace"] and deltas[-1]["text"] == reply["text"] == shown(deltas)


def test_dead_model_before_the_first_token_answers_extractively_in_several_deltas(
    tmp_path: Path, index: FaqIndex
) -> None:
    reply, deltas = respond(tmp_path, index, ScriptedModel("x", fail_after=0), event(1, "退款多久到账？"))
    assert reply["model_profile"] == "extractive"
    assert deltas and not any(d["replace"] for d in deltas)
    assert shown(deltas) == reply["text"]


def test_model_breaking_mid_answer_keeps_the_checked_sentences_it_sent(tmp_path: Path, index: FaqIndex) -> None:
    model = ScriptedModel(PARAPHRASE + "这句不会到达。" * 5, chunk=len(PARAPHRASE) + 1, fail_after=1)
    reply, deltas = respond(tmp_path, index, model, event(1, "七天无理由退货怎么申请？"))
    assert reply["handoff"] is None and reply["model_profile"] != "extractive"
    assert shown(deltas) == reply["text"] == PARAPHRASE


def test_an_echo_of_the_question_never_reaches_the_customer_and_the_answer_after_it_streams(
    tmp_path: Path, index: FaqIndex
) -> None:
    model = ScriptedModel(f"七天无理由退货怎么申请？[1]{PARAPHRASE}", chunk=2)
    reply, deltas = respond(tmp_path, index, model, event(1, "七天无理由退货怎么申请？"))
    assert reply["model_profile"] != "extractive" and reply["text"] == PARAPHRASE
    assert shown(deltas) == reply["text"] and not any(d["replace"] for d in deltas)
    assert "怎么申请" not in "".join(d["text"] for d in deltas)


def test_a_model_that_only_echoes_the_question_gets_an_extractive_answer(tmp_path: Path, index: FaqIndex) -> None:
    reply, deltas = respond(tmp_path, index, ScriptedModel("退款多久到账？[1]"), event(1, "退款多久到账？"))
    assert reply["model_profile"] == "extractive" and "到账？" not in reply["text"]
    assert shown(deltas) == reply["text"]


def test_a_hand_off_streams_its_notice(tmp_path: Path, index: FaqIndex) -> None:
    reply, deltas = respond(tmp_path, index, ScriptedModel("不会被调用。"), event(1, "我要转人工", intent="ask_human"))
    assert reply["handoff"]["reason"] == "customer_request"
    assert shown(deltas) == reply["text"] and reply["text"]
