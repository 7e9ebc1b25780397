"""The official ``openai`` client against a real platform (responder on, models off): answers and streams.

Models off means extractive answers (for questions retrieved with confidence >= the extractive threshold, 0.65:
the sample FAQ's own questions reach ~0.67), which must stream too (as deltas on ``conversations.reply_deltas``); the
streamed content must add up to the authoritative BotReply's text on ``conversations.replies``.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from openai import OpenAI

from schemas.catalog import schema
from schemas.wire import AvroCodec, registry_client
from tests.integration.conftest import Platform, read_topic

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]  # the shared platform may start in this module


@pytest.fixture(scope="module")
def client(responder_platform: Platform) -> OpenAI:
    status = responder_platform.status
    return OpenAI(base_url=status["http"] + "/v1", api_key=status["api_key"], timeout=90)


def conversation() -> str:
    return f"oai-{uuid.uuid4().hex[:10]}"


def stream_chat(client: OpenAI, conversation_id: str, text: str) -> tuple[list[str], dict[str, Any], str | None]:
    """(content pieces, the final chunk's kefu fields, its finish_reason) of one streamed request."""
    pieces: list[str] = []
    kefu: dict[str, Any] = {}
    finish: str | None = None
    stream = client.chat.completions.create(
        model="kefu", user=conversation_id, stream=True, messages=[{"role": "user", "content": text}]
    )
    for chunk in stream:
        choice = chunk.choices[0]
        if choice.delta.content:
            pieces.append(choice.delta.content)
        if choice.finish_reason is not None:
            finish = choice.finish_reason
            kefu = (chunk.model_extra or {})["kefu"]
    return pieces, kefu, finish


def published(platform: Platform, topic: str, record: str, marker: str, expected: int) -> list[dict[str, Any]]:
    codec = AvroCodec(registry_client(platform.status["schema_registry"]), schema(record))
    return [codec.decode(m.value()) for m in read_topic(platform.status["kafka"], topic, marker.encode(), expected)]


def test_the_official_client_reads_the_usage_chunk_it_asked_for(client: OpenAI) -> None:
    stream = client.chat.completions.create(
        model="kefu",
        user=conversation(),
        stream=True,
        stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "新人有什么优惠？"}],
    )
    chunks = list(stream)
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    # models are off here: the answer is extractive, and no model tokens were spent on it
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens, chunks[-1].usage.total_tokens) == (
        0,
        0,
        0,
    )
    assert all(chunk.usage is None for chunk in chunks[:-1]) and chunks[-2].choices[0].finish_reason == "stop"


def test_non_streaming_answer_through_the_official_client(client: OpenAI) -> None:
    conversation_id = conversation()
    completion = client.chat.completions.create(
        model="kefu",
        messages=[{"role": "user", "content": "买了之后降价了怎么办？"}],
        extra_headers={"X-Conversation-Id": conversation_id},
    )
    assert completion.object == "chat.completion"
    assert completion.usage is not None and completion.usage.total_tokens == 0  # extractive: no model tokens
    assert completion.choices[0].message.content
    kefu = (completion.model_extra or {})["kefu"]
    assert kefu["conversation_id"] == conversation_id
    assert kefu["handoff"] is None and kefu["citations"], kefu  # a KB answer (extractive: models are off)


def test_streamed_kb_answer_adds_up_to_the_final_reply_and_carries_citations(
    client: OpenAI, responder_platform: Platform
) -> None:
    conversation_id = conversation()
    pieces, kefu, finish = stream_chat(client, conversation_id, "新人有什么优惠？")
    assert finish == "stop"
    assert kefu["conversation_id"] == conversation_id and kefu["handoff"] is None
    assert kefu["citations"] and kefu["citations"][0]["source"]
    assert pieces and "".join(pieces).strip()
    [reply] = published(responder_platform, "conversations.replies", "BotReply", conversation_id, 1)
    assert reply["event_id"] == kefu["reply_id"]
    assert "".join(pieces) == reply["text"]  # the stream is the authoritative reply, piece by piece
    deltas = published(responder_platform, "conversations.reply_deltas", "ReplyDelta", conversation_id, len(pieces))
    assert [d["seq"] for d in deltas] == list(range(len(deltas)))
    assert "".join(d["text"] for d in deltas) == reply["text"]
    assert all(d["reply_id"] == reply["event_id"] for d in deltas)


def test_streamed_hand_off_sends_its_notice_and_marks_the_hand_off(client: OpenAI) -> None:
    pieces, kefu, finish = stream_chat(client, conversation(), "我要转人工，电话13812345678")
    assert finish == "stop"
    assert kefu["handoff"]["reason"] == "customer_request"
    assert "人工" in "".join(pieces)  # the notice, not the customer's words
    assert "13812345678" not in "".join(pieces)


def test_ten_concurrent_streamed_conversations_all_complete(client: OpenAI) -> None:
    questions = ["退款多久到账？", "七天无理由退货怎么申请？", "发票怎么开？", "运费谁出？", "怎么修改收货地址？"] * 2
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda q: stream_chat(client, conversation(), q), questions))
    assert all(finish == "stop" and "".join(pieces) and kefu["reply_id"] for pieces, kefu, finish in results)
    assert len({kefu["reply_id"] for _, kefu, _ in results}) == 10
