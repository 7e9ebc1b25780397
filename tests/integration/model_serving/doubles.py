"""Tiny stand-ins for the embedder and reranker, served by the real deployments in these tests only.

The real E5 embedder and learned reranker are another module's; what is under test here is serving them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from kefu.settings import Settings
from serving.protocols import Passage, Vectors

DIM = 16


class HashingEmbedder:
    """Character bigrams hashed into 16 dimensions, L2-normalised: similar texts get similar vectors."""

    model_id = "test-hashing-embedder"
    dim = DIM

    def _embed(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for a, b in zip(text, text[1:] or " ", strict=False):
                out[row, hashlib.md5((a + b).encode()).digest()[0] % DIM] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._embed(texts)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._embed(texts)


class OverlapReranker:
    """The share of the query's characters found in the passage."""

    model_id = "test-overlap-reranker"

    def score(self, query: str, passages: Sequence[Passage]) -> list[float]:
        chars = set(query)
        return [len(chars & set(p.text)) / max(len(chars), 1) for p in passages]


def build_embedder(settings: Settings) -> HashingEmbedder:
    return HashingEmbedder()


def build_reranker(settings: Settings) -> OverlapReranker:
    return OverlapReranker()
