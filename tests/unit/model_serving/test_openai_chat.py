"""OpenAIChatGenerator against a local OpenAI-compatible endpoint: SSE streaming, retries, dead endpoints."""

from __future__ import annotations

import time

import pytest

from serving.errors import ModelUnavailable
from serving.generation import OpenAIChatGenerator
from serving.protocols import ChatMessage

from .fake_openai import Behaviour, free_port, serve_fake

QUESTION = [ChatMessage("system", "你是客服。"), ChatMessage("user", "我的快递到哪了？")]


def test_stream_yields_the_content_deltas_in_order() -> None:
    behaviour = Behaviour()
    with serve_fake(behaviour) as url:
        generator = OpenAIChatGenerator(url, "fake-qwen", api_key="k-123")
        assert list(generator.stream(QUESTION, max_tokens=32)) == ["您好，", "请提供", "订单号。"]
    sent = behaviour.requests[0]
    assert sent["authorization"] == "Bearer k-123"
    assert sent["body"]["stream"] is True
    assert sent["body"]["model"] == "fake-qwen"
    assert sent["body"]["messages"][1] == {"role": "user", "content": "我的快递到哪了？"}


def test_generate_returns_the_whole_message() -> None:
    with serve_fake(Behaviour()) as url:
        assert OpenAIChatGenerator(url, "fake-qwen").generate(QUESTION) == "您好，请提供订单号。"


def test_503_is_retried_with_backoff_until_it_succeeds() -> None:
    behaviour = Behaviour(fail_first=2, fail_status=503)
    with serve_fake(behaviour) as url:
        generator = OpenAIChatGenerator(url, "fake-qwen", retries=2, backoff_s=0.05)
        assert "".join(generator.stream(QUESTION)) == "您好，请提供订单号。"
    assert len(behaviour.requests) == 3


def test_429_waits_for_retry_after() -> None:
    behaviour = Behaviour(fail_first=1, fail_status=429, retry_after="0.4")
    with serve_fake(behaviour) as url:
        generator = OpenAIChatGenerator(url, "fake-qwen", retries=1, backoff_s=0.01)
        started = time.monotonic()
        assert generator.generate(QUESTION) == "您好，请提供订单号。"
        assert time.monotonic() - started >= 0.4


def test_retries_spent_raise_model_unavailable_with_the_status() -> None:
    behaviour = Behaviour(fail_first=10, fail_status=502)
    with serve_fake(behaviour) as url:
        generator = OpenAIChatGenerator(url, "fake-qwen", retries=1, backoff_s=0.01)
        with pytest.raises(ModelUnavailable) as raised:
            list(generator.stream(QUESTION))
    assert raised.value.reason == "http_502"
    assert len(behaviour.requests) == 2


def test_client_error_is_not_retried() -> None:
    behaviour = Behaviour(fail_first=10, fail_status=401)
    with serve_fake(behaviour) as url:
        generator = OpenAIChatGenerator(url, "fake-qwen", retries=3, backoff_s=0.01)
        with pytest.raises(ModelUnavailable, match="http_401"):
            generator.generate(QUESTION)
    assert len(behaviour.requests) == 1


def test_dead_endpoint_raises_model_unavailable_quickly() -> None:
    generator = OpenAIChatGenerator(f"http://127.0.0.1:{free_port()}/v1", "fake-qwen", retries=2, backoff_s=0.01)
    started = time.monotonic()
    with pytest.raises(ModelUnavailable) as raised:
        generator.generate(QUESTION)
    assert raised.value.reason == "connect"
    assert time.monotonic() - started < 2.0
    assert not generator.endpoint_reachable()
