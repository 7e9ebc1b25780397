"""The responder the workers run, built from the settings: retrieval in-process, generation on Ray Serve.

Retrieval (embedder, KB search, learned reranker) runs in a worker thread of the Faust process; generation goes
to the served LLM through :class:`serving.client.ModelClient`, connected on first use so a worker starts even
while ``kefu serve`` is still loading. Both failures are handled by the Responder (extractive answer or hand-off).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from kefu.settings import Settings
from serving.protocols import ChatMessage
from streams.responder.respond import Responder, Retrieved
from streams.responder.state_store import DialogueStore


class _LazyRetrieval:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._retriever: Any = None
        self._lock = asyncio.Lock()

    async def __call__(self, query: str, tenant: str, k: int) -> Retrieved:
        async with self._lock:
            if self._retriever is None:
                from serving.retrieval import build_retriever

                self._retriever = await asyncio.to_thread(build_retriever, self.settings)
        result: Retrieved = await asyncio.to_thread(self._retriever.retrieve, query, tenant, k)
        return result


class _LazyGeneration:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Any = None

    async def __call__(self, messages: Sequence[ChatMessage], profile: str) -> str:
        if self._client is None:
            from serving.client import ModelClient

            self._client = await ModelClient.connect(self.settings)
        answer: str = await self._client.generate(messages, max_tokens=self.settings.llm_max_tokens)
        return answer


def build_responder(settings: Settings) -> Responder:
    return Responder(
        retrieve=_LazyRetrieval(settings),
        generate=_LazyGeneration(settings),
        store=DialogueStore(settings.data_dir / "dialogue.sqlite"),
    )
