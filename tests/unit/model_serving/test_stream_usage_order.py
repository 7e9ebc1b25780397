"""The generator deployment sends a stream's token counts as soon as they are known, each once."""

from __future__ import annotations

from collections.abc import AsyncIterator

from serving.deployments.generator import pieces_with_usage
from serving.protocols import TokenUsage


async def local_model(usage: TokenUsage) -> AsyncIterator[str]:
    usage.prompt_tokens = 180  # counted before generating, as the llama generator does
    for n, piece in enumerate(["好的", "。"], start=1):
        yield piece
        usage.completion_tokens = n


async def endpoint(usage: TokenUsage) -> AsyncIterator[str]:
    yield "好的"
    yield "。"
    usage.prompt_tokens, usage.completion_tokens = 180, 2  # an OpenAI-compatible endpoint's last chunk


async def test_the_prompt_count_goes_before_the_first_piece_when_the_model_knows_it() -> None:
    usage = TokenUsage()
    items = [item async for item in pieces_with_usage(local_model(usage), usage)]
    assert items == [TokenUsage(180, 0), "好的", "。", TokenUsage(0, 2)]


async def test_counts_known_only_at_the_end_go_last() -> None:
    usage = TokenUsage()
    items = [item async for item in pieces_with_usage(endpoint(usage), usage)]
    assert items == ["好的", "。", TokenUsage(180, 2)]
