"""Routing's inputs as the worker wires them: the tenant tier from settings, the load from generations in flight."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from kefu.settings import Settings
from serving.protocols import ChatMessage, ProfileChoice
from streams.responder.wiring import _LazyGeneration, build_responder

QUESTION = [ChatMessage("user", "运费怎么算？")]


class HeldClient:
    """A ModelClient stand-in whose streams wait for ``release`` (records the profile each call was routed to)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.profiles: list[str | None] = []

    async def stream(
        self, messages: Sequence[ChatMessage], *, choice: ProfileChoice | None = None, **_: Any
    ) -> AsyncIterator[str]:
        self.profiles.append(choice.routed if choice else None)
        await self.release.wait()
        yield "好的。"


async def test_load_is_the_share_of_the_workers_conversations_being_generated() -> None:
    generation = _LazyGeneration(Settings(data_dir=Path("/nonexistent"), responder_concurrency=4))
    client = HeldClient()
    generation._client = client

    async def answer(profile: str) -> str:
        return "".join([piece async for piece in generation.stream(QUESTION, ProfileChoice(profile))])

    tasks = [asyncio.create_task(answer(p)) for p in ("fast", "quality", "quality")]
    await asyncio.sleep(0.01)
    assert generation.load() == 0.75
    client.release.set()
    assert await asyncio.gather(*tasks) == ["好的。"] * 3
    assert generation.load() == 0.0 and client.profiles == ["fast", "quality", "quality"]


def test_the_worker_routes_premium_tenants_by_their_tier(tmp_path: Path) -> None:
    responder = build_responder(Settings(data_dir=tmp_path, premium_tenants="acme"), generate=lambda *_: "")
    assert responder.tenant_tier("acme") == "premium" and responder.tenant_tier("initech") == "standard"
    assert responder.load() == 0.0
