"""Parsing an OpenAI chat-completions event stream (what vLLM, SGLang and hosted APIs send, and Kefu's own API)."""

from __future__ import annotations

import pytest

from serving.errors import ModelUnavailable
from serving.generation.openai_chat import _sse_deltas


def parse(*lines: str) -> list[str]:
    return list(_sse_deltas(iter(lines)))


def test_content_deltas_in_order_with_role_only_and_empty_deltas_skipped() -> None:
    assert parse(
        'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}',
        "",
        'data: {"choices":[{"index":0,"delta":{"content":"退款"}}]}',
        'data: {"choices":[{"index":0,"delta":{"content":"1到3天"}}]}',
        'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
        "data: [DONE]",
    ) == ["退款", "1到3天"]


def test_data_field_without_a_space_comments_and_other_fields_are_handled() -> None:
    assert parse(
        ": keep-alive",
        "event: message",
        "id: 7",
        'data:{"choices":[{"delta":{"content":"a"}}]}',
        "retry: 1000",
        'data: {"choices":[{"delta":{"content":"b"}}]}',
    ) == ["a", "b"]


def test_nothing_after_done_is_read() -> None:
    assert parse('data: {"choices":[{"delta":{"content":"x"}}]}', "data: [DONE]", "data: not json") == ["x"]


def test_an_error_event_mid_stream_is_model_unavailable() -> None:
    stream = _sse_deltas(
        iter(['data: {"choices":[{"delta":{"content":"半"}}]}', 'data: {"error":{"message":"overloaded"}}'])
    )
    assert next(stream) == "半"
    with pytest.raises(ModelUnavailable, match="overloaded"):
        next(stream)


def test_usage_only_chunks_without_choices_are_skipped() -> None:
    assert parse(
        'data: {"choices":[],"usage":{"total_tokens":9}}', 'data: {"choices":[{"delta":{"content":"ok"}}]}'
    ) == ["ok"]
