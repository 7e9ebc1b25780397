"""The SSE relay of /v1/chat/completions: deltas out as OpenAI chunks, the BotReply ends the stream."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from serving.api.chat import ChunkWriter, relay
from serving.api.replies import ReplyItem
from serving.generation.openai_chat import _sse_deltas


def delta(seq: int, text: str, replace: bool = False) -> ReplyItem:
    return ("delta", {"reply_id": "r-1", "in_reply_to": "e1", "seq": seq, "text": text, "replace": replace})


def reply(text: str, handoff: dict[str, str] | None = None, tokens: tuple[int, int] | None = None) -> ReplyItem:
    citations = [{"source": "faq.jsonl", "chunk_id": "c1", "title": None, "score": 0.9}]
    return (
        "reply",
        {
            "event_id": "r-1",
            "in_reply_to": "e1",
            "text": text,
            "citations": [] if handoff else citations,
            "confidence": 0.9,
            "handoff": handoff,
            "model_profile": "fast",
            "prompt_tokens": tokens[0] if tokens else None,
            "completion_tokens": tokens[1] if tokens else None,
        },
    )


def run(items: list[ReplyItem], timeout_s: float = 5.0, include_usage: bool = False) -> list[dict[str, Any]]:
    """The decoded data of every SSE event the relay writes for ``items`` (``[DONE]`` as the string)."""

    async def collect() -> bytes:
        queue: asyncio.Queue[ReplyItem] = asyncio.Queue()
        for item in items[1:]:
            queue.put_nowait(item)
        writer, deadline = ChunkWriter("r-1", "kefu"), time.monotonic() + timeout_s
        stream = relay(items[0], queue, writer, "conv-1", deadline, include_usage=include_usage)
        return b"".join([piece async for piece in stream])

    raw = asyncio.run(collect()).decode()
    events = [line[6:] for line in raw.split("\n") if line.startswith("data: ")]
    return [e if e == "[DONE]" else json.loads(e) for e in events]


def contents(events: list[dict[str, Any]]) -> str:
    """What the official client's ``delta.content`` pieces concatenate to (our own SSE parser reads them)."""
    lines = [f"data: {json.dumps(e) if isinstance(e, dict) else e}" for e in events]
    return "".join(_sse_deltas(iter(lines)))


def test_deltas_become_chunks_and_the_reply_ends_the_stream_with_kefu_fields() -> None:
    events = run([delta(0, "可以退货[1]。"), delta(1, "运费买家承担[1]。"), reply("可以退货[1]。运费买家承担[1]。")])
    assert events[-1] == "[DONE]"
    final = events[-2]
    assert final["choices"][0]["finish_reason"] == "stop" and final["object"] == "chat.completion.chunk"
    assert final["kefu"]["reply_id"] == "r-1" and final["kefu"]["citations"][0]["chunk_id"] == "c1"
    assert final["kefu"]["conversation_id"] == "conv-1" and final["kefu"]["handoff"] is None
    assert events[0]["choices"][0]["delta"]["role"] == "assistant"
    assert contents(events) == "可以退货[1]。运费买家承担[1]。"
    assert len([e for e in events[1:-2] if e["choices"][0]["delta"].get("content")]) == 2
    assert all(e["id"] == "chatcmpl-r-1" for e in events[:-1])


def test_a_reply_that_overtakes_its_last_deltas_is_completed_from_its_own_text() -> None:
    events = run([delta(0, "第一句。"), reply("第一句。第二句。第三句。"), delta(1, "第二句。")])
    assert contents(events) == "第一句。第二句。第三句。"


def test_a_duplicate_delta_is_not_shown_twice() -> None:
    events = run([delta(0, "第一句。"), delta(0, "第一句。"), delta(1, "第二句。"), reply("第一句。第二句。")])
    assert contents(events) == "第一句。第二句。"


def test_a_fallback_after_streamed_text_is_marked_as_a_replacement() -> None:
    notice = "正在为您转接人工客服。"
    events = run([delta(0, "签收7天内可退货[1]。"), reply(notice, {"reason": "unsupported_answer", "detail": ""})])
    replaced = [e for e in events[:-1] if e.get("kefu", {}).get("replace")]
    assert len(replaced) == 1 and replaced[0]["kefu"]["text"] == notice
    assert contents(events).endswith("\n\n" + notice)
    assert events[-2]["kefu"]["handoff"]["reason"] == "unsupported_answer"


def test_a_hand_off_without_deltas_streams_its_notice_and_marks_the_hand_off() -> None:
    events = run([reply("好的，正在为您转接人工客服，请稍候。", {"reason": "customer_request", "detail": ""})])
    assert contents(events) == "好的，正在为您转接人工客服，请稍候。"
    assert events[-2]["kefu"]["handoff"]["reason"] == "customer_request"


def test_a_reply_that_never_completes_ends_in_an_error_event() -> None:
    events = run([delta(0, "第一句。")], timeout_s=0.2)
    assert "error" in events[-1] and events[-1]["error"]["type"] == "timeout"


def test_usage_is_the_last_chunk_when_the_client_asks_for_it_as_openai_sends_it() -> None:
    items = [delta(0, "可以退货[1]。"), reply("可以退货[1]。", tokens=(212, 19))]
    events = run(items, include_usage=True)
    assert events[-1] == "[DONE]"
    usage = events[-2]
    assert usage["choices"] == [] and usage["id"] == "chatcmpl-r-1"
    assert usage["usage"] == {"prompt_tokens": 212, "completion_tokens": 19, "total_tokens": 231}
    assert events[-3]["choices"][0]["finish_reason"] == "stop"
    assert not any("usage" in e for e in run(items)[:-1])  # not asked: not sent


def test_a_reply_no_model_wrote_reports_zero_tokens() -> None:
    canned = reply("好的，正在为您转接人工客服，请稍候。", {"reason": "customer_request", "detail": ""})
    assert run([canned], include_usage=True)[-2]["usage"]["total_tokens"] == 0


def test_a_replys_tokens_are_counted_for_operators_by_profile() -> None:
    from prometheus_client import REGISTRY

    from streams.metrics import count_generator_tokens

    def counted(kind: str) -> float:
        labels = {"profile": "fast", "kind": kind}
        return REGISTRY.get_sample_value("kefu_worker_generator_tokens_total", labels) or 0.0

    before = counted("prompt"), counted("completion")
    count_generator_tokens({"model_profile": "fast", "prompt_tokens": 212, "completion_tokens": 19})
    count_generator_tokens({"model_profile": "fast", "prompt_tokens": None, "completion_tokens": None})  # canned
    assert (counted("prompt") - before[0], counted("completion") - before[1]) == (212, 19)
