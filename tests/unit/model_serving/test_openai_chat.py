"""OpenAIChatGenerator against a local OpenAI-compatible endpoint: SSE streaming, retries, deadlines, dead
endpoints. The generator is built by ``build_generator`` where the settings' deadlines are the point."""

from __future__ import annotations

import time

import httpx
import pytest

from kefu.settings import Settings
from serving.errors import ModelUnavailable
from serving.generation import OpenAIChatGenerator, build_generator
from serving.protocols import ChatMessage, TokenUsage

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


def test_stream_reports_the_endpoints_token_usage() -> None:
    behaviour = Behaviour()
    with serve_fake(behaviour) as url:
        usage = TokenUsage()
        pieces = list(OpenAIChatGenerator(url, "fake-qwen").stream(QUESTION, usage=usage))
    assert pieces == ["您好，", "请提供", "订单号。"]  # the usage chunk has no choices: no text from it
    assert behaviour.requests[0]["body"]["stream_options"] == {"include_usage": True}
    assert usage == TokenUsage(prompt_tokens=23, completion_tokens=3)


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


def test_stream_dropped_before_its_first_token_is_retried() -> None:
    behaviour = Behaviour(break_first=1)
    with serve_fake(behaviour) as url:
        generator = OpenAIChatGenerator(url, "fake-qwen", retries=1, backoff_s=0.01)
        assert list(generator.stream(QUESTION)) == ["您好，", "请提供", "订单号。"]
    assert len(behaviour.requests) == 2


def test_stream_dropped_after_its_first_token_raises_instead_of_repeating_the_answer() -> None:
    behaviour = Behaviour(break_after_token=True)
    pieces: list[str] = []
    with serve_fake(behaviour) as url:
        generator = OpenAIChatGenerator(url, "fake-qwen", retries=3, backoff_s=0.01)
        with pytest.raises(ModelUnavailable, match="stream broke") as raised:
            pieces.extend(generator.stream(QUESTION))
    assert pieces == ["您好，"]
    assert raised.value.reason == "transport"
    assert len(behaviour.requests) == 1


def test_no_first_token_within_the_settings_deadline_raises_timeout_and_hangs_up() -> None:
    behaviour = Behaviour(first_token_delay_s=5.0)  # keep-alive comments meanwhile, so no read timeout fires
    with serve_fake(behaviour) as url:
        settings = Settings(llm_base_url=url, llm_model="fake-qwen", llm_first_token_timeout_s=0.5, llm_retries=2)
        generator = build_generator(settings, "quality")
        started = time.monotonic()
        with pytest.raises(ModelUnavailable) as raised:
            list(generator.stream(QUESTION))
        took = time.monotonic() - started
        deadline = time.monotonic() + 3
        while not behaviour.hung_up and time.monotonic() < deadline:
            time.sleep(0.05)
    assert raised.value.reason == "timeout"
    assert 0.5 <= took < 2.0
    assert len(behaviour.requests) == 1  # past the deadline there is nothing to retry
    assert behaviour.hung_up == [1]  # the endpoint can stop generating for nobody


def test_a_retry_that_would_end_past_the_first_token_deadline_is_not_waited_for() -> None:
    behaviour = Behaviour(fail_first=10, fail_status=429, retry_after="5")
    with serve_fake(behaviour) as url:
        generator = OpenAIChatGenerator(url, "fake-qwen", retries=3, backoff_s=0.01, first_token_timeout_s=1.0)
        started = time.monotonic()
        with pytest.raises(ModelUnavailable) as raised:
            list(generator.stream(QUESTION))
    assert raised.value.reason == "http_429"  # the real cause, at once, so the caller can fall back now
    assert time.monotonic() - started < 1.0
    assert len(behaviour.requests) == 1


def test_retries_of_generate_stop_at_the_whole_call_deadline() -> None:
    behaviour = Behaviour(fail_first=10, fail_status=503)
    with serve_fake(behaviour) as url:
        generator = OpenAIChatGenerator(url, "fake-qwen", retries=10, backoff_s=0.2, read_timeout_s=1.0)
        started = time.monotonic()
        with pytest.raises(ModelUnavailable, match="http_503"):
            generator.generate(QUESTION)
    assert time.monotonic() - started < 1.0
    assert len(behaviour.requests) == 3  # waits of 0.2 s and 0.4 s fit in 1 s; the next 0.8 s does not


@pytest.mark.parametrize(
    "answer", [httpx.Response(200, json={"nope": []}), httpx.Response(200, text="<html>proxy error</html>")]
)
def test_an_unreadable_answer_is_model_unavailable(answer: httpx.Response) -> None:
    generator = OpenAIChatGenerator("http://llm.invalid/v1", "m", transport=httpx.MockTransport(lambda _: answer))
    with pytest.raises(ModelUnavailable, match="malformed"):
        generator.generate(QUESTION)


def test_an_unreadable_event_mid_stream_is_model_unavailable() -> None:
    events = 'data: {"choices":[{"delta":{"content":"a"}}]}\n\ndata: {not json\n\n'
    answer = httpx.Response(200, text=events, headers={"content-type": "text/event-stream"})
    generator = OpenAIChatGenerator("http://llm.invalid/v1", "m", transport=httpx.MockTransport(lambda _: answer))
    pieces = generator.stream(QUESTION)
    assert next(pieces) == "a"
    with pytest.raises(ModelUnavailable, match="malformed"):
        next(pieces)
