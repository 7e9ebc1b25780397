"""The responder the workers run, built from the settings: retrieval in-process, generation on Ray Serve.

Retrieval (embedder, KB search, learned reranker) runs in a worker thread of the Faust process; generation goes
to the served LLM through :class:`serving.client.ModelClient`, connected on first use so a worker starts even
while ``kefu serve`` is still loading. Both failures are handled by the Responder (extractive answer or hand-off).
The semantic answer cache embeds with retrieval's embedder (one embedding per message) and reads the KB version
from retrieval's knowledge base.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import aclosing, contextmanager
from typing import Any

import numpy as np

from kefu.settings import Settings
from processors.dialogue.state import StateConfig
from processors.experiments import ExperimentBook, load_experiments
from processors.responder import PolicyConfig
from processors.responder.policy import DEFAULT_POLICY
from serving.deployments.apps import generator_profiles
from serving.protocols import ChatMessage, ProfileChoice
from serving.retrieval.factory import fitted_thresholds
from streams.responder.answer_cache import QueryMemo, SemanticAnswerCache
from streams.responder.respond import Responder, Retrieved
from streams.responder.state_store import DialogueStore


class LazyRetrieval:
    """The settings' retriever, built on first use in a thread; also the cache's embedder and KB version."""

    def __init__(self, settings: Settings, retriever: Any = None) -> None:
        self.settings = settings
        self._retriever: Any = retriever
        if retriever is not None:
            retriever.embedder = QueryMemo(retriever.embedder)
        self._lock = asyncio.Lock()

    async def retriever(self) -> Any:
        async with self._lock:
            if self._retriever is None:
                from serving.retrieval import build_retriever

                built = await asyncio.to_thread(build_retriever, self.settings)
                built.embedder = QueryMemo(built.embedder)
                self._retriever = built
        return self._retriever

    async def __call__(self, query: str, tenant: str, k: int) -> Retrieved:
        retriever = await self.retriever()
        result: Retrieved = await asyncio.to_thread(retriever.retrieve, query, tenant, k)
        return result

    async def embed_query(self, query: str) -> np.ndarray[Any, Any]:
        retriever = await self.retriever()
        vectors = await asyncio.to_thread(retriever.embedder.embed_queries, [query])
        return np.asarray(vectors[0])

    async def kb_version(self, tenant: str) -> str:
        retriever = await self.retriever()
        version: str = await asyncio.to_thread(retriever.kb.version_stamp, tenant)
        return version


#: Greedy decoding for answers: the 1.5B copies passage facts more faithfully than with sampling, and the same
#: question gets the same answer (measured with `kefu bench answers`, docs/benchmarks.md "Streamed replies").
ANSWER_TEMPERATURE = 0.0


class _LazyGeneration:
    """The served generators through ModelClient, connected at first use; counts the generations in flight."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Any = None
        self.in_flight = 0

    def load(self) -> float:
        """Routing's load signal: generations in flight over the conversations the worker answers at once."""
        return min(1.0, self.in_flight / self.settings.responder_concurrency)

    async def _connected(self) -> Any:
        if self._client is None:
            from serving.client import ModelClient

            self._client = await ModelClient.connect(self.settings)
        return self._client

    @contextmanager
    def _generating(self) -> Iterator[None]:
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    async def __call__(self, messages: Sequence[ChatMessage], choice: ProfileChoice) -> str:
        client = await self._connected()
        with self._generating():
            answer: str = await client.generate(
                messages, max_tokens=self.settings.llm_max_tokens, temperature=ANSWER_TEMPERATURE, choice=choice
            )
        return answer

    async def stream(self, messages: Sequence[ChatMessage], choice: ProfileChoice) -> AsyncIterator[str]:
        client = await self._connected()
        tokens = self.settings.llm_max_tokens
        pieces_of = client.stream(messages, max_tokens=tokens, temperature=ANSWER_TEMPERATURE, choice=choice)
        with self._generating():
            async with aclosing(pieces_of) as pieces:
                async for piece in pieces:
                    yield piece  # closing this generator closes the model's stream: the replica stops at once


def tenant_tiers(settings: Settings) -> Callable[[str], str]:
    """Routing's tenant tier: ``premium`` for the tenants of KEFU_PREMIUM_TENANTS, ``standard`` for the others.

    >>> tier = tenant_tiers(Settings(premium_tenants="acme, globex"))
    >>> tier("acme"), tier("initech")
    ('premium', 'standard')
    """
    premium = {t.strip() for t in (settings.premium_tenants or "").split(",") if t.strip()}
    return lambda tenant: "premium" if tenant in premium else "standard"


def policy_from_settings(settings: Settings) -> PolicyConfig:
    """The decision policy with the settings' extra must-escalate topics and thresholds: each one set, else the one
    fitted with the retrieval confidence in use, else the policy's default."""
    escalate = {category: tuple(words) for category, words in DEFAULT_POLICY.must_escalate.items()}
    for category, words in parse_escalate_topics(settings.must_escalate_topics).items():
        escalate[category] = (*escalate.get(category, ()), *words)
    fitted = fitted_thresholds(settings)
    answer = _first(settings.answer_threshold, fitted.get("answer"), DEFAULT_POLICY.answer_threshold)
    return PolicyConfig(
        answer_threshold=answer,
        clarify_threshold=_first(settings.clarify_threshold, fitted.get("clarify"), DEFAULT_POLICY.clarify_threshold),
        extractive_threshold=_first(settings.extractive_threshold, answer),
        angry_turns=settings.angry_turns,
        must_escalate=escalate,
    )


def _first(*values: float | None) -> float:
    return next(v for v in values if v is not None)


def parse_escalate_topics(raw: str | None) -> dict[str, tuple[str, ...]]:
    """``"category:word|word;category:word"`` -> ``{category: words}``; a malformed entry raises ``ValueError``.

    >>> parse_escalate_topics("recall:召回|recall notice;privacy:隐私泄露")
    {'recall': ('召回', 'recall notice'), 'privacy': ('隐私泄露',)}
    """
    topics: dict[str, tuple[str, ...]] = {}
    for entry in (raw or "").split(";"):
        if not entry.strip():
            continue
        category, sep, words = entry.partition(":")
        terms = tuple(w.strip() for w in words.split("|") if w.strip())
        if not sep or not category.strip() or not terms:
            raise ValueError(f"KEFU_MUST_ESCALATE_TOPICS: {entry!r} is not category:word|word")
        topics[category.strip()] = terms
    return topics


def build_responder(settings: Settings, *, retriever: Any = None, generate: Any = None) -> Responder:
    """The Responder of the settings; ``retriever`` / ``generate`` replace the lazily built ones (evaluation)."""
    retrieval = LazyRetrieval(settings, retriever)
    cache = None
    if settings.answer_cache_enabled:
        cache = SemanticAnswerCache(
            retrieval.embed_query,
            retrieval.kb_version,
            threshold=settings.answer_cache_threshold,
            max_entries=settings.answer_cache_size,
        )
    experiments = load_experiments(settings.experiments_file) if settings.experiments_file else ExperimentBook()
    generation = _LazyGeneration(settings)
    return Responder(
        retrieve=retrieval,
        generate=generate or generation,
        stream=None if generate is not None else generation.stream,
        store=DialogueStore(settings.data_dir / "dialogue.sqlite"),
        policy=policy_from_settings(settings),
        experiments=experiments,
        cache=cache,
        state_config=StateConfig(max_turns=settings.dialogue_turns_kept),
        max_chars=settings.reply_max_chars,
        history_turns=settings.prompt_history_turns,
        served_profiles=tuple(generator_profiles(settings)),
        tenant_tier=tenant_tiers(settings),
        load=generation.load,
        k=settings.retrieval_top_k,
        agent_hold_ms=int(settings.agent_hold_s * 1000),
    )
