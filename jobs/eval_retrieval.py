"""Retrieval evaluation on question pairs in AFQMC format (``{"sentence1", "sentence2", "label"}`` lines).

The knowledge base is the ``sentence1`` of every pair; the queries are the ``sentence2`` of the positive
pairs, and a query's relevant chunks are the ``sentence1`` it is paired with as positive. Every stage is
measured from the same searches: dense only, dense + BM25 fused, and reranked, so the gain of each shows.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from serving.knowledge.chunking import ChunkDraft
from serving.knowledge.store import KnowledgeBase
from serving.protocols import Embedder, Passage, Reranker
from serving.retrieval.calibration import Calibrator
from serving.retrieval.retriever import Retriever

TENANT = "eval"


@dataclass(frozen=True)
class PairsSet:
    sentences: list[str]
    """Distinct ``sentence1`` values: the knowledge base."""
    queries: list[tuple[str, frozenset[str]]]
    """Each distinct positive ``sentence2`` with the ``sentence1`` values it is paired with."""


@dataclass(frozen=True)
class Metrics:
    recall_at_1: float
    recall_at_5: float
    mrr: float
    queries: int


def read_pairs(lines: Iterable[str]) -> PairsSet:
    """Parse AFQMC-format JSON lines.

    >>> positive = '{"sentence1": "a", "sentence2": "b", "label": "1"}'
    >>> read_pairs([positive, '{"sentence1": "c", "sentence2": "d", "label": "0"}'])
    PairsSet(sentences=['a', 'c'], queries=[('b', frozenset({'a'}))])
    """
    sentences: dict[str, None] = {}
    relevant: dict[str, set[str]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            first, second, label = str(row["sentence1"]), str(row["sentence2"]), str(row["label"])
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise ValueError(f"line {number}: not an AFQMC pair ({error!r})") from None
        sentences.setdefault(first)
        if label == "1":
            relevant.setdefault(second, set()).add(first)
    return PairsSet(list(sentences), [(q, frozenset(r)) for q, r in relevant.items()])


def ranking_metrics(rankings: Sequence[Sequence[str]], relevant: Sequence[frozenset[str]]) -> Metrics:
    """recall@1, recall@5 and MRR of ranked texts against each query's relevant texts.

    >>> ranking_metrics([["x", "a"], ["b"]], [frozenset({"a"}), frozenset({"z"})])
    Metrics(recall_at_1=0.0, recall_at_5=0.5, mrr=0.25, queries=2)
    """
    hits1 = hits5 = 0
    reciprocal = 0.0
    for ranked, wanted in zip(rankings, relevant, strict=True):
        position = next((i for i, text in enumerate(ranked, start=1) if text in wanted), None)
        if position is not None:
            hits1 += position == 1
            hits5 += position <= 5
            reciprocal += 1.0 / position
    n = max(len(rankings), 1)
    return Metrics(round(hits1 / n, 4), round(hits5 / n, 4), round(reciprocal / n, 4), len(rankings))


def build_pairs_kb(kb: KnowledgeBase, sentences: Sequence[str], tenant: str = TENANT) -> None:
    digest = hashlib.sha256("\n".join(sentences).encode("utf-8")).hexdigest()
    kb.upsert_chunks(tenant, "pairs", "text", digest, [ChunkDraft("", s, question=s) for s in sentences])
    kb.flush()


def stage_rankings(retriever: Retriever, pairs: PairsSet, tenant: str = TENANT) -> dict[str, list[list[Passage]]]:
    """Each stage's ranked passages for every query (query vectors are embedded in one batch)."""
    vectors = retriever.embedder.embed_queries([q for q, _ in pairs.queries])
    out: dict[str, list[list[Passage]]] = {"dense": [], "fusion": [], "reranked": []}
    for (query, _), vector in zip(pairs.queries, vectors, strict=True):
        stages = retriever.stages(query, tenant, vector=vector, rerank=retriever.reranker is not None)
        out["dense"].append(stages.dense)
        out["fusion"].append(stages.fused)
        if stages.reranked is not None:
            out["reranked"].append(stages.reranked)
    if retriever.reranker is None:
        del out["reranked"]
    return out


def evaluate_pairs(
    pairs: PairsSet,
    embedder: Embedder,
    reranker: Reranker | None,
    *,
    candidates: int = 50,
    rerank_top: int = 50,
    work_dir: Path | None = None,
    judged_relevance: Sequence[frozenset[str]] | None = None,
) -> dict[str, Any]:
    """Build a fresh knowledge base from ``pairs`` (milvus-lite in a temporary directory) and measure it.

    ``judged_relevance`` (one set per query, labelled texts included: see ``jobs.relevance_judgements``) adds
    every stage measured against it under ``"judged"``.
    """
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        kb = KnowledgeBase(str(Path(tmp) / "eval.db"), embedder, collection="eval")
        try:
            build_pairs_kb(kb, pairs.sentences)
            retriever = Retriever(kb, embedder, reranker, candidates=candidates, rerank_top=rerank_top)
            rankings = stage_rankings(retriever, pairs)
        finally:
            kb.close()
    relevant = [r for _, r in pairs.queries]
    texts = {stage: [[p.text for p in ranked] for ranked in lists] for stage, lists in rankings.items()}
    report: dict[str, Any] = {stage: asdict(ranking_metrics(ranked, relevant)) for stage, ranked in texts.items()}
    if judged_relevance is not None:
        report["judged"] = {stage: asdict(ranking_metrics(ranked, judged_relevance)) for stage, ranked in texts.items()}
    calibrator = getattr(reranker, "calibrator", None)
    if isinstance(calibrator, Calibrator) and "reranked" in rankings:
        tops = [
            (ranked[0].score, ranked[0].text in wanted)
            for ranked, wanted in zip(rankings["reranked"], relevant, strict=True)
            if ranked
        ]
        report["confidence"] = calibration_report(
            [calibrator.calibrate("rerank", s) for s, _ in tops], [h for _, h in tops]
        )
    return report


def calibration_report(confidences: Sequence[float], hits: Sequence[bool], bins: int = 5) -> dict[str, float | int]:
    """Mean confidence against the top-1 hit rate, and the expected calibration error over ``bins`` bins.

    >>> calibration_report([0.9, 0.9, 0.1, 0.1], [True, True, False, False])
    {'mean_confidence': 0.5, 'top1_hit_rate': 0.5, 'ece': 0.1, 'queries': 4}
    """
    conf = np.asarray(confidences, dtype=float)
    hit = np.asarray(hits, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    ece = sum(
        abs(conf[which == b].mean() - hit[which == b].mean()) * (which == b).mean()
        for b in range(bins)
        if (which == b).any()
    )
    return {
        "mean_confidence": round(float(conf.mean()), 4) if len(conf) else 0.0,
        "top1_hit_rate": round(float(hit.mean()), 4) if len(hit) else 0.0,
        "ece": round(float(ece), 4),
        "queries": len(conf),
    }
