"""ModelClient's deadlines, counting and profile fallback, over an in-memory transport (pure logic)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from kefu.settings import Settings
from serving.client import ModelClient
from serving.errors import ModelUnavailable
from serving.protocols import ChatMessage, Passage, ProfileChoice, TokenUsage, Vectors

QUESTION = [ChatMessage("user", "退货运费谁出？")]


class ScriptedTransport:
    """Each generator app answers with its script: text pieces, a delay before them, or a failure."""

    def __init__(
        self, scripts: dict[str, tuple[float, list[str | TokenUsage] | ModelUnavailable]], gap_s: float = 0.0
    ) -> None:
        self.scripts = scripts
        self.gap_s = gap_s
        self.calls: list[str] = []
        self.closed: list[str] = []

    async def embed_queries(self, texts: list[str]) -> Vectors:
        await asyncio.sleep(self.scripts.get("embedder", (0.0, []))[0])
        return np.ones((len(texts), 4), dtype=np.float32)

    async def rerank(self, query: str, passages: Sequence[Passage]) -> list[float]:
        return [0.5] * len(passages)

    async def generate(
        self, app: str, messages: Sequence[ChatMessage], max_tokens: int | None, temperature: float
    ) -> str:
        pieces = [piece async for piece in self.stream(app, messages, max_tokens, temperature)]
        return "".join(piece for piece in pieces if isinstance(piece, str))

    async def stream(
        self, app: str, messages: Sequence[ChatMessage], max_tokens: int | None, temperature: float
    ) -> AsyncIterator[str | TokenUsage]:
        self.calls.append(app)
        delay, script = self.scripts[app]
        try:
            await asyncio.sleep(delay)
            if isinstance(script, ModelUnavailable):
                raise script
            for n, piece in enumerate(script):
                if n:
                    await asyncio.sleep(self.gap_s)
                yield piece
        finally:
            self.closed.append(app)

    async def aclose(self) -> None:
        pass


def client(transport: ScriptedTransport, **overrides: object) -> ModelClient:
    values: dict[str, object] = {"data_dir": Path("/nonexistent"), "llm_profile": "quality", "llm_fallback": True}
    values.update(overrides)
    return ModelClient(Settings.model_validate(values), transport)


async def test_quality_failure_falls_back_to_fast_and_is_counted() -> None:
    transport = ScriptedTransport(
        {"kefu-llm-quality": (0.0, ModelUnavailable("qwen-7b", "connect")), "kefu-llm-fast": (0.0, ["好的", "。"])}
    )
    models = client(transport)
    assert await models.generate(QUESTION) == "好的。"
    assert transport.calls == ["kefu-llm-quality", "kefu-llm-fast"]
    assert models.fallbacks == 1
    assert models.unavailable[("qwen-7b", "connect")] == 1


async def test_the_routed_profile_answers_first_and_the_other_served_one_takes_over() -> None:
    transport = ScriptedTransport(
        {"kefu-llm-fast": (0.0, ModelUnavailable("0.5b", "replica_died")), "kefu-llm-quality": (0.0, ["好的。"])}
    )
    models = client(transport)
    choice = ProfileChoice("fast")
    assert await models.generate(QUESTION, choice=choice) == "好的。"
    assert transport.calls == ["kefu-llm-fast", "kefu-llm-quality"] and models.fallbacks == 1
    assert choice.answered == "quality"  # the reply names the model that wrote it
    streamed = ProfileChoice("fast")
    pieces = [piece async for piece in models.stream(QUESTION, choice=streamed)]
    assert pieces == ["好的。"] and transport.calls[-2:] == ["kefu-llm-fast", "kefu-llm-quality"]
    assert streamed.answered == "quality"
    routed = ProfileChoice("quality")
    assert [piece async for piece in models.stream(QUESTION, choice=routed)] == ["好的。"]
    assert transport.calls[-1] == "kefu-llm-quality" and routed.answered == "quality"


async def test_a_routed_profile_that_is_not_served_goes_to_the_primary() -> None:
    transport = ScriptedTransport({"kefu-llm-quality": (0.0, ["好的。"])})
    models = client(transport, llm_fallback=False)
    choice = ProfileChoice("fast")
    assert await models.generate(QUESTION, choice=choice) == "好的。"
    assert transport.calls == ["kefu-llm-quality"] and models.fallbacks == 0 and choice.answered == "quality"


async def test_without_fallback_the_failure_reaches_the_caller() -> None:
    transport = ScriptedTransport({"kefu-llm-quality": (0.0, ModelUnavailable("qwen-7b", "http_503"))})
    models = client(transport, llm_fallback=False)
    with pytest.raises(ModelUnavailable, match="http_503"):
        await models.generate(QUESTION)
    assert transport.calls == ["kefu-llm-quality"]


async def test_both_profiles_down_raises_the_last_failure() -> None:
    transport = ScriptedTransport(
        {
            "kefu-llm-quality": (0.0, ModelUnavailable("q", "connect")),
            "kefu-llm-fast": (0.0, ModelUnavailable("f", "replica_died")),
        }
    )
    models = client(transport)
    with pytest.raises(ModelUnavailable) as raised:
        await models.generate(QUESTION)
    assert raised.value.reason == "replica_died"
    assert sum(models.unavailable.values()) == 2


async def test_slow_first_token_times_out_then_fast_profile_streams() -> None:
    transport = ScriptedTransport({"kefu-llm-quality": (5.0, ["late"]), "kefu-llm-fast": (0.0, ["快", "答"])})
    models = client(transport, llm_first_token_timeout_s=0.1)
    assert [piece async for piece in models.stream(QUESTION)] == ["快", "答"]
    assert models.unavailable[("kefu-llm-quality", "timeout")] == 1
    assert "kefu-llm-quality" in transport.closed  # the abandoned stream was closed, freeing its replica


async def test_a_stream_that_stalls_after_its_first_piece_is_not_continued_by_another_model() -> None:
    transport = ScriptedTransport(
        {"kefu-llm-quality": (0.0, ["一", "二"]), "kefu-llm-fast": (0.0, ["never"])}, gap_s=5.0
    )
    models = client(transport, llm_first_token_timeout_s=0.1)
    received = []
    with pytest.raises(ModelUnavailable, match="timeout"):
        async for piece in models.stream(QUESTION):
            received.append(piece)
    assert received == ["一"]
    assert transport.calls == ["kefu-llm-quality"]


async def test_embed_deadline_raises_model_unavailable() -> None:
    transport = ScriptedTransport({"embedder": (5.0, [])})
    models = client(transport, model_timeout_s=0.1)
    with pytest.raises(ModelUnavailable) as raised:
        await models.embed_queries(["hi"])
    assert (raised.value.model, raised.value.reason) == ("kefu-embedder", "timeout")


async def test_a_streams_usage_goes_to_the_choice_and_never_to_the_text() -> None:
    transport = ScriptedTransport({"kefu-llm-quality": (0.0, ["好的", "。", TokenUsage(180, 3)])})
    choice = ProfileChoice()
    pieces = [piece async for piece in client(transport).stream(QUESTION, choice=choice)]
    assert pieces == ["好的", "。"]
    assert choice.usage == TokenUsage(180, 3)
    silent = ScriptedTransport({"kefu-llm-quality": (0.0, [TokenUsage(180, 0)])})  # the model answered nothing
    nothing = ProfileChoice()
    assert [piece async for piece in client(silent).stream(QUESTION, choice=nothing)] == []
    assert nothing.usage == TokenUsage(180, 0)


async def test_a_stream_closed_early_counts_the_prompt_it_was_told_and_the_pieces_it_read() -> None:
    # the deployment sends the local model's prompt count first (pieces_with_usage); the answer's count comes last,
    # after the responder's sentence gate has stopped reading
    script: list[str | TokenUsage] = [TokenUsage(180, 0), "好的", "，", "运费", "买家出。", TokenUsage(0, 4)]
    transport = ScriptedTransport({"kefu-llm-quality": (0.0, script)})
    choice = ProfileChoice()
    stream = client(transport).stream(QUESTION, choice=choice)
    read = [await anext(stream), await anext(stream)]
    await stream.aclose()
    assert read == ["好的", "，"]
    assert transport.closed == ["kefu-llm-quality"]  # the model is told to stop
    assert choice.usage == TokenUsage(180, 2)


async def test_a_stream_read_to_the_end_counts_what_the_deployment_reports_not_the_pieces() -> None:
    script: list[str | TokenUsage] = [TokenUsage(180, 0), "好的", "。", TokenUsage(0, 3)]
    choice = ProfileChoice()
    assert [
        p async for p in client(ScriptedTransport({"kefu-llm-quality": (0.0, script)})).stream(QUESTION, choice=choice)
    ]
    assert choice.usage == TokenUsage(180, 3)


async def test_every_attempts_tokens_are_counted() -> None:
    transport = ScriptedTransport(
        {
            "kefu-llm-quality": (0.0, ["好的。", TokenUsage(180, 3)]),
            "kefu-llm-fast": (0.0, ["嗯。", TokenUsage(150, 2)]),
        }
    )
    choice = ProfileChoice()
    models = client(transport)
    for routed in ("quality", "fast"):  # e.g. a retry of an unsupported answer on another profile
        choice.routed = routed
        assert [piece async for piece in models.stream(QUESTION, choice=choice)]
    assert choice.usage == TokenUsage(330, 5) and choice.answered == "fast"
