"""The model interfaces the rest of Kefu codes against.

Each has an embedded implementation (models shipped in packages) and a production one (an OpenAI-compatible
endpoint); Ray Serve deployments wrap whichever the settings choose. Callers never know which.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
"""A ``(n, dim)`` array of L2-normalised embeddings."""


@dataclass(frozen=True)
class Passage:
    """A knowledge-base chunk as retrieval returns it."""

    chunk_id: str
    source: str
    text: str
    title: str | None = None
    score: float = 0.0
    """The score of the stage that produced it (fusion, then reranker); higher is better."""
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass
class TokenUsage:
    """Tokens one generation took: the prompt's and the answer's, as an OpenAI-compatible endpoint bills them.

    A generator's ``stream`` fills the one it is given when the stream ends or is closed; across the serving
    boundary a deployment sends it as the stream's last item, and ``ModelClient`` adds it to the call's
    :class:`ProfileChoice` (every attempt's tokens: a retried or fallen-back answer cost them all).
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens)


@dataclass
class ProfileChoice:
    """Which generator profile answers a call: routing's choice in, the served profile that produced the text out.

    ``ModelClient`` tries ``routed`` first (the primary when it is None or not served) and sets ``answered`` when
    text arrives; after a fallback the two differ, and the reply must name the model that wrote it. ``usage``
    sums the tokens of the streams it made (None: no stream reported any).
    """

    routed: str | None = None
    answered: str | None = None
    usage: TokenUsage | None = None

    def spent(self, usage: TokenUsage) -> None:
        """Count one stream's tokens."""
        self.usage = usage if self.usage is None else self.usage + usage


@runtime_checkable
class Embedder(Protocol):
    """Text to normalised vectors; queries and passages may be embedded differently (e5 prefixes)."""

    model_id: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> Vectors: ...

    def embed_passages(self, texts: Sequence[str]) -> Vectors: ...


@runtime_checkable
class Reranker(Protocol):
    """Scores passages for a query: a probability-like relevance in [0, 1], higher is better."""

    model_id: str

    def score(self, query: str, passages: Sequence[Passage]) -> list[float]: ...


@runtime_checkable
class Generator(Protocol):
    """Chat completion, whole or streamed token by token."""

    model_id: str

    def generate(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256, temperature: float = 0.2) -> str: ...

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.2,
        usage: TokenUsage | None = None,
    ) -> Iterator[str]:
        """Text pieces as generated; ``usage``, when given, is filled when the stream ends or is closed."""
        ...
