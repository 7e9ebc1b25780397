"""ModelClient: what the responder (Faust, asyncio) calls to embed, rerank and generate through Ray Serve.

Every call has a deadline. A generator that is down, overloaded or late raises ModelUnavailable, counted in
``kefu_model_unavailable_total``. The profile a call's ``ProfileChoice`` routes to (tenant tier, intent, load,
or an A/B variant) is tried first when it is served; the other served profile takes over when it fails
(``kefu_model_fallback_total``): with ``quality`` primary and fallback on, both are served. The choice records
the profile that answered, so a reply names the model that wrote it. A stream falls back only before its first
piece: half an answer from one model is never continued by another.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Sequence
from typing import TypeVar

from prometheus_client import Counter

from kefu.settings import Settings
from serving.deployments.apps import EMBEDDER_APP, RERANKER_APP, generator_app, generator_profiles, profile_order
from serving.deployments.runtime import ServeInfo, init_ray, ready_file
from serving.errors import ModelUnavailable
from serving.protocols import ChatMessage, Passage, ProfileChoice, TokenUsage, Vectors
from serving.transports import HandleTransport, HttpTransport, Transport

log = logging.getLogger(__name__)
T = TypeVar("T")

UNAVAILABLE = Counter(
    "kefu_model_unavailable_total", "Model calls that failed or missed their deadline", ["model", "reason"]
)
FALLBACKS = Counter("kefu_model_fallback_total", "Generations moved to another profile", ["from_profile", "to_profile"])


class ModelClient:
    """Async access to the served models; build with ``ModelClient.connect(settings)``."""

    def __init__(self, settings: Settings, transport: Transport) -> None:
        self.settings = settings
        self.transport = transport
        self.profiles = generator_profiles(settings)
        self.unavailable: collections.Counter[tuple[str, str]] = collections.Counter()
        self.fallbacks = 0

    @classmethod
    async def connect(cls, settings: Settings, transport: str | None = None) -> ModelClient:
        """Join the running serving (KEFU_RAY_ADDRESS / KEFU_SERVE_HTTP_URL, else `kefu serve`'s ready file)."""
        kind = transport or settings.serve_transport
        info = ServeInfo.read(ready_file(settings))
        if kind == "http":
            base = settings.serve_http_url or (info.http if info else None)
            if base is None:
                raise ModelUnavailable("serving", "not_running", "set KEFU_SERVE_HTTP_URL or start `kefu serve`")
            routes = info.apps if info else {}
            return cls(settings, HttpTransport(base, routes or _default_routes(settings), settings.llm_timeout_s))
        if settings.ray_address is None:
            if info is None:
                raise ModelUnavailable("serving", "not_running", "set KEFU_RAY_ADDRESS or start `kefu serve`")
            settings = settings.model_copy(update={"ray_address": info.ray_address})
        await asyncio.to_thread(init_ray, settings, client=True)
        return cls(settings, HandleTransport())

    async def aclose(self) -> None:
        await self.transport.aclose()

    # -- embeddings and reranking ----------------------------------------------------------------------------
    async def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return await self._deadline(
            EMBEDDER_APP, self.transport.embed_queries(list(texts)), self.settings.model_timeout_s
        )

    async def rerank(self, query: str, passages: Sequence[Passage]) -> list[float]:
        return await self._deadline(RERANKER_APP, self.transport.rerank(query, passages), self.settings.model_timeout_s)

    # -- generation -----------------------------------------------------------------------------------------
    async def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.2,
        choice: ProfileChoice | None = None,
    ) -> str:
        """The whole answer of ``choice.routed`` (the primary profile when None or not served); the profile that
        answered goes to ``choice.answered``."""
        failure: ModelUnavailable | None = None
        order = profile_order(self.profiles, choice.routed if choice else None)
        for n, served in enumerate(order):
            if n:
                self._fell_back(order[n - 1], served)
            app = generator_app(served)
            call = self.transport.generate(app, messages, max_tokens, temperature)
            try:
                answer = await self._deadline(app, call, self.settings.llm_timeout_s)
            except ModelUnavailable as error:
                failure = error
                continue
            if choice is not None:
                choice.answered = served
            return answer
        assert failure is not None
        raise failure

    async def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.2,
        choice: ProfileChoice | None = None,
    ) -> AsyncIterator[str]:
        """Text pieces of ``choice.routed`` (as in :meth:`generate`; ``choice.answered`` is set before the first
        piece is yielded) as generated. Each piece must come within KEFU_LLM_FIRST_TOKEN_TIMEOUT_S of the last.
        The tokens the stream took go to ``choice.usage`` as the deployment reports them; when the stream is closed
        before its last item (the caller stopped reading, or it broke), the pieces read are counted as its answer's
        tokens (one piece per token for the local model and for OpenAI-compatible endpoints)."""
        failure: ModelUnavailable | None = None
        order = profile_order(self.profiles, choice.routed if choice else None)
        for n, served in enumerate(order):
            if n:
                self._fell_back(order[n - 1], served)
            app = generator_app(served)
            pieces = self.transport.stream(app, messages, max_tokens, temperature).__aiter__()
            started = time.monotonic()
            try:
                first = None
                while first is None:  # a usage item before any text: the model answered nothing
                    piece = await self._deadline(app, anext(pieces), self.settings.llm_first_token_timeout_s)
                    first = _text(piece, choice)
            except StopAsyncIteration:
                return
            except ModelUnavailable as error:
                failure = error
                await _close(pieces)
                continue
            if choice is not None:
                choice.answered = served
            read, ended = 1, False
            try:
                yield first
                while True:
                    left = self.settings.llm_timeout_s - (time.monotonic() - started)
                    gap = min(self.settings.llm_first_token_timeout_s, max(left, 0.001))
                    try:
                        piece = await self._deadline(app, anext(pieces), gap)
                    except StopAsyncIteration:
                        ended = True
                        return
                    text = _text(piece, choice)
                    if text is not None:
                        read += 1
                        yield text
            finally:
                await _close(pieces)
                if not ended and choice is not None:  # the last item, the answer's count, never came
                    choice.spent(TokenUsage(completion_tokens=read))
        assert failure is not None
        raise failure

    # -- helpers --------------------------------------------------------------------------------------------
    async def _deadline(self, model: str, call: Awaitable[T], timeout_s: float) -> T:
        try:
            return await asyncio.wait_for(call, timeout_s)
        except TimeoutError as error:
            raise self._count(ModelUnavailable(model, "timeout", f"no answer within {timeout_s:.1f}s")) from error
        except ModelUnavailable as error:
            raise self._count(error) from None

    def _count(self, error: ModelUnavailable) -> ModelUnavailable:
        self.unavailable[(error.model, error.reason)] += 1
        UNAVAILABLE.labels(error.model, error.reason).inc()
        log.warning("%s", error)
        return error

    def _fell_back(self, from_profile: str, to_profile: str) -> None:
        self.fallbacks += 1
        FALLBACKS.labels(from_profile, to_profile).inc()
        log.warning("generation falls back from %s to %s", from_profile, to_profile)


def _text(piece: str | TokenUsage, choice: ProfileChoice | None) -> str | None:
    """A text piece, or None for the stream's usage item, which is counted on ``choice``."""
    if isinstance(piece, TokenUsage):
        if choice is not None:
            choice.spent(piece)
        return None
    return piece


async def _close(pieces: AsyncIterator[str | TokenUsage]) -> None:
    aclose = getattr(pieces, "aclose", None)
    if aclose is not None:
        await aclose()


def _default_routes(settings: Settings) -> dict[str, str]:
    routes = {EMBEDDER_APP: "/embedder", RERANKER_APP: "/reranker"}
    routes.update({generator_app(p): f"/llm/{p}" for p in generator_profiles(settings)})
    return routes
