"""The semantic answer cache as the responder uses it: embed the standalone query, check the KB version, look up.

The vectors come from the embedder retrieval already uses (one embedding per message: :class:`QueryMemo` lets
retrieval reuse the cache lookup's vector), and the KB version from
:meth:`serving.knowledge.store.KnowledgeBase.version_stamp`, read at most every ``version_ttl_s`` per tenant,
so a ``kefu kb ingest`` or ``kefu kb delete`` empties the tenant's cached answers within that time.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import numpy as np

from processors.responder.answer_cache import AnswerCache, CachedAnswer, cacheable
from serving.protocols import Embedder, Passage, Vectors

EmbedQuery = Callable[[str], Awaitable[np.ndarray[Any, Any]]]
KbVersion = Callable[[str], Awaitable[str]]


class SemanticAnswerCache:
    def __init__(
        self,
        embed_query: EmbedQuery,
        kb_version: KbVersion,
        *,
        threshold: float,
        max_entries: int = 5000,
        version_ttl_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.embed_query = embed_query
        self.kb_version = kb_version
        self.threshold = threshold
        self.version_ttl_s = version_ttl_s
        self.clock = clock
        self.answers = AnswerCache(max_entries)
        self._versions: dict[str, tuple[float, str]] = {}

    async def _version(self, tenant: str) -> str:
        now = self.clock()
        known = self._versions.get(tenant)
        if known is None or now - known[0] >= self.version_ttl_s:
            known = (now, await self.kb_version(tenant))
            self._versions[tenant] = known
        return known[1]

    async def lookup(self, tenant: str, query: str, *, threshold: float | None = None) -> CachedAnswer | None:
        """The cached answer to a question that means the same as ``query``, or ``None``."""
        if not query.strip():
            return None
        vector = await self.embed_query(query)
        found = self.answers.lookup(
            tenant, await self._version(tenant), vector, threshold=self.threshold if threshold is None else threshold
        )
        return found[0] if found else None

    async def remember(
        self,
        tenant: str,
        query: str,
        text: str,
        passages: Sequence[Passage],
        confidence: float,
        slots: Mapping[str, str],
    ) -> bool:
        """Cache a sent answer if :func:`cacheable`; whether it was."""
        if not cacheable(query, text, passages, slots):
            return False
        version = await self._version(tenant)
        vector = await self.embed_query(query)
        self.answers.store(tenant, version, vector, CachedAnswer(query, text, tuple(passages), confidence, version))
        return True


class QueryMemo:
    """An embedder that remembers its last ``size`` query vectors, so one message is embedded once."""

    def __init__(self, inner: Embedder, size: int = 256) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.size = size
        self._memo: OrderedDict[str, np.ndarray[Any, Any]] = OrderedDict()

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            for text, vector in zip(missing, self.inner.embed_queries(missing), strict=True):
                self._memo[text] = np.asarray(vector, dtype=np.float32)
        for text in texts:
            self._memo.move_to_end(text)
        rows = [self._memo[t] for t in texts]
        while len(self._memo) > self.size:
            self._memo.popitem(last=False)
        return np.stack(rows) if rows else np.zeros((0, self.dim), dtype=np.float32)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self.inner.embed_passages(texts)
