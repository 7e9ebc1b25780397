"""Reciprocal-rank fusion of the dense and BM25 result lists, keeping each list's score and rank.

The reranker reads those per-list scores (as passage metadata), so fusion keeps them instead of a bare order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from serving.knowledge.store import Hit
from serving.protocols import Passage, Vectors


def fuse(
    dense: Sequence[Hit],
    sparse: Sequence[Hit],
    query_vector: Vectors,
    *,
    rrf_k: int = 60,
) -> list[Passage]:
    """Union of both lists, ordered by ``sum 1 / (rrf_k + rank)``; ``score`` is that sum.

    Metadata gains ``dense_score`` (cosine; for a chunk only BM25 found, computed from its vector when the hit
    carries one, else the lowest cosine of the dense list: not in the dense top-N means no higher than that),
    ``bm25_score`` (0 when only dense search found it), ``dense_rank`` / ``bm25_rank`` (1-based; 0 = absent)
    and ``fused_rank``.
    """
    entries: dict[str, dict[str, float]] = {}
    passages: dict[str, Passage] = {}
    vectors: dict[str, Vectors | None] = {}
    for name, hits in (("dense", dense), ("bm25", sparse)):
        for rank, hit in enumerate(hits, start=1):
            key = hit.passage.chunk_id
            passages.setdefault(key, hit.passage)
            if vectors.get(key) is None:
                vectors[key] = hit.vector
            entry = entries.setdefault(key, {"fused": 0.0})
            entry[f"{name}_score"] = hit.passage.score
            entry[f"{name}_rank"] = rank
            entry["fused"] += 1.0 / (rrf_k + rank)
    query = np.asarray(query_vector, dtype=np.float32).reshape(-1)
    floor = min((hit.passage.score for hit in dense), default=0.0)
    for key, entry in entries.items():
        if "dense_score" not in entry:
            vector = vectors.get(key)
            entry["dense_score"] = float(np.dot(query, vector)) if vector is not None else floor
    order = sorted(entries, key=lambda key: (-entries[key]["fused"], key))
    fused: list[Passage] = []
    for rank, key in enumerate(order, start=1):
        entry = entries[key]
        metadata = dict(passages[key].metadata)
        metadata.update(
            {
                "dense_score": f"{entry['dense_score']:.6f}",
                "bm25_score": f"{entry.get('bm25_score', 0.0):.6f}",
                "dense_rank": str(int(entry.get("dense_rank", 0))),
                "bm25_rank": str(int(entry.get("bm25_rank", 0))),
                "fused_rank": str(rank),
            }
        )
        fused.append(replace(passages[key], score=entry["fused"], metadata=metadata))
    return fused
