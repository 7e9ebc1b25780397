"""Retrieval for the responder: query -> optional rewrite -> hybrid search -> rerank -> passages + confidence."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from serving.knowledge.store import KnowledgeBase
from serving.protocols import Embedder, Passage, Reranker, Vectors
from serving.retrieval.calibration import Calibrator
from serving.retrieval.fusion import fuse

Mode = Literal["dense", "fusion", "rerank"]
ConfidenceSignal = Literal["rerank", "dense"]
"""Which score of the first passage the confidence calibrates: the reranker's, or its dense cosine."""


@dataclass(frozen=True)
class RetrievalResult:
    """Passages best first, and the calibrated probability that the first one answers the query.

    Iterating, ``len`` and indexing go to ``passages``, so it reads like the list of passages it holds.
    """

    passages: list[Passage]
    confidence: float
    query: str = ""
    """The query as searched (after the rewrite hook)."""
    mode: Mode = "rerank"

    def __iter__(self) -> Iterator[Passage]:
        return iter(self.passages)

    def __len__(self) -> int:
        return len(self.passages)

    def __getitem__(self, index: int) -> Passage:
        return self.passages[index]


@dataclass(frozen=True)
class Stages:
    """Every stage's ranking for one query: what evaluation compares."""

    dense: list[Passage]
    fused: list[Passage]
    reranked: list[Passage] | None = field(default=None)


class Retriever:
    """Hybrid search (dense + BM25, reciprocal-rank fused) over a tenant's chunks, then the reranker.

    ``rewrite`` is a hook (e.g. an LLM turning a follow-up into a standalone question); ``calibrator`` maps
    the top passage's score to a probability of relevance. Without a reranker, ``mode`` is ``fusion``.
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        embedder: Embedder,
        reranker: Reranker | None = None,
        *,
        candidates: int = 50,
        rerank_top: int = 50,
        rrf_k: int = 60,
        rewrite: Callable[[str], str] | None = None,
        calibrator: Calibrator | None = None,
        mode: Mode | None = None,
        confidence_signal: ConfidenceSignal = "rerank",
    ) -> None:
        self.kb = kb
        self.embedder = embedder
        self.reranker = reranker
        self.candidates = candidates
        self.rerank_top = rerank_top
        self.rrf_k = rrf_k
        self.rewrite = rewrite
        self.calibrator = calibrator or Calibrator.identity()
        self.mode: Mode = mode or ("rerank" if reranker is not None else "fusion")
        self.confidence_signal: ConfidenceSignal = confidence_signal
        if self.mode == "rerank" and reranker is None:
            raise ValueError("mode 'rerank' needs a reranker")

    def retrieve(self, query: str, tenant: str, k: int = 5) -> RetrievalResult:
        """The ``k`` best passages of ``tenant``'s knowledge for ``query``."""
        searched = self.rewrite(query) if self.rewrite else query
        if not searched.strip():
            return RetrievalResult([], 0.0, searched, self.mode)
        stages = self.stages(searched, tenant, rerank=self.mode == "rerank", sparse=self.mode != "dense")
        ranked = {"dense": stages.dense, "fusion": stages.fused, "rerank": stages.reranked or []}[self.mode]
        passages = ranked[:k]
        return RetrievalResult(passages, self._confidence(passages), searched, self.mode)

    async def aretrieve(self, query: str, tenant: str, k: int = 5) -> RetrievalResult:
        """``retrieve`` off the event loop: the responder's ``Retrieve`` callable (search and rerank block)."""
        return await asyncio.to_thread(self.retrieve, query, tenant, k)

    def stages(
        self, query: str, tenant: str, *, vector: Vectors | None = None, rerank: bool = True, sparse: bool = True
    ) -> Stages:
        """Dense ranking, fused ranking and (with a reranker) reranked list for one query.

        ``sparse=False`` skips the BM25 search (the fused list is then the dense list, re-scored by RRF).
        """
        if vector is None:
            vector = self.embedder.embed_queries([query])[0]
        dense = self.kb.dense_search(tenant, vector, self.candidates)
        # Vectors of BM25-only hits would cost ~20% of the search for a feature the dense list bounds (fusion.py).
        bm25 = self.kb.bm25_search(tenant, query, self.candidates) if sparse else []
        fused = fuse(dense, bm25, vector, rrf_k=self.rrf_k)
        reranked = None
        if rerank and self.reranker is not None:
            reranked = self._rerank(query, fused)
        return Stages([hit.passage for hit in dense], fused, reranked)

    def _rerank(self, query: str, fused: list[Passage]) -> list[Passage]:
        head, tail = fused[: self.rerank_top], fused[self.rerank_top :]
        if not head:
            return []
        assert self.reranker is not None
        scores = self.reranker.score(query, head)
        rescored = [
            replace(p, score=float(s), metadata={**p.metadata, "fused_score": f"{p.score:.6f}"})
            for p, s in zip(head, scores, strict=True)
        ]
        rescored.sort(key=lambda p: -p.score)
        # Unscored candidates stay behind every scored one, in fused order, with score 0.
        return rescored + [replace(p, score=0.0) for p in tail]

    def _confidence(self, passages: list[Passage]) -> float:
        if not passages:
            return 0.0
        top = passages[0]
        if self.mode == "rerank" and self.confidence_signal == "rerank":
            return self.calibrator.calibrate("rerank", top.score)
        if self.mode == "dense":
            return self.calibrator.calibrate("dense", top.score)  # dense hits score by cosine
        return self.calibrator.calibrate("dense", float(top.metadata.get("dense_score", 0.0)))
