"""Latency and throughput of embedding, search and rerank over a generated knowledge base.

Texts are generated from customer-service phrase templates; passage vectors are the real e5 embeddings of a
few hundred template sentences plus seeded noise (embedding 20,000 chunks for real would take ~8 minutes on two
cores and measures nothing the ``embed`` figures do not). Queries are embedded for real.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from serving.knowledge.chunking import ChunkDraft
from serving.knowledge.store import KnowledgeBase
from serving.protocols import Embedder, Reranker, Vectors
from serving.retrieval.retriever import Retriever

_TOPICS = [
    "退货",
    "退款",
    "换货",
    "发票",
    "快递",
    "运费",
    "优惠券",
    "会员",
    "积分",
    "保修",
    "账户",
    "密码",
    "订单",
    "支付",
    "花呗",
]
_ASKS = [
    "怎么申请",
    "多久到账",
    "需要什么条件",
    "可以取消吗",
    "在哪里查看",
    "为什么失败",
    "能不能修改",
    "收费吗",
    "有时间限制吗",
    "找谁处理",
]
_ITEMS = ["手机", "耳机", "冰箱", "洗衣机", "羽绒服", "运动鞋", "大米", "咖啡", "猫粮", "笔记本电脑", "空调", "电视"]
_TAILS = [
    "请在订单详情中操作",
    "一般需要1到3个工作日",
    "会员可享受免费上门取件",
    "请保留好包装和配件",
    "如有疑问请联系人工客服",
    "具体以页面提示为准",
]


def generated_texts(n: int, seed: int = 7) -> tuple[list[str], list[int]]:
    """``n`` chunk texts and, for each, the index of its base template sentence (``len(_TOPICS) * len(_ASKS)``)."""
    rng = random.Random(seed)
    texts, bases = [], []
    for i in range(n):
        t, a = rng.randrange(len(_TOPICS)), rng.randrange(len(_ASKS))
        item, tail = rng.choice(_ITEMS), rng.choice(_TAILS)
        texts.append(f"问：{item}{_TOPICS[t]}{_ASKS[a]}？\n答：关于{item}的{_TOPICS[t]}，{tail}。编号{i}")
        bases.append(t * len(_ASKS) + a)
    return texts, bases


def base_sentences() -> list[str]:
    return [f"{topic}{ask}" for topic in _TOPICS for ask in _ASKS]


class _SyntheticPassages:
    """Passage vectors = e5 vector of the text's template + seeded noise; queries go to the real embedder."""

    def __init__(self, inner: Embedder, texts: Sequence[str], bases: Sequence[int], noise: float, seed: int) -> None:
        self.model_id, self.dim, self.inner = inner.model_id, inner.dim, inner
        base_vectors = inner.embed_passages(base_sentences())
        rng = np.random.default_rng(seed)
        vectors = base_vectors[list(bases)] + rng.normal(0.0, noise, (len(bases), inner.dim)).astype(np.float32)
        self._vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        self._index = {text: i for i, text in enumerate(texts)}

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        picked: Vectors = self._vectors[[self._index[t] for t in texts]].astype(np.float32)
        return picked


def _wait_until_idle(limit_s: float = 180.0) -> float:
    """Wait for milvus-lite's background index build (a thread of this process) to finish: until a second
    passes with almost no CPU used. Timing searches while it runs measures the build, not the search."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit_s:
        cpu = time.process_time()
        time.sleep(1.0)
        if time.process_time() - cpu < 0.05:
            break
    return round(time.perf_counter() - start, 1)


def _timings(call: Callable[[], object], repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[min(len(samples) - 1, int(0.95 * len(samples)))], 2),
        "per_s": round(1000 * len(samples) / sum(samples), 1),
    }


def bench_retrieval(
    embedder: Embedder,
    reranker: Reranker,
    *,
    chunks: int = 20_000,
    queries: int = 100,
    candidates: int = 50,
    rerank_top: int = 50,
    work_dir: Path | None = None,
) -> dict[str, Any]:
    """Build a ``chunks``-chunk KB in a temporary milvus-lite and time each stage over ``queries`` queries."""
    texts, bases = generated_texts(chunks)
    rng = random.Random(11)
    asked = [f"{rng.choice(_ITEMS)}{rng.choice(_TOPICS)}{rng.choice(_ASKS)}" for _ in range(queries)]
    result: dict[str, Any] = {"chunks": chunks, "queries": queries, "candidates": candidates, "rerank_top": rerank_top}
    batch = texts[:64]
    result["embed_query"] = _timings(lambda: embedder.embed_queries([rng.choice(asked)]), min(queries, 50))
    embed_batch = _timings(lambda: embedder.embed_passages(batch), 3)
    result["embed_passages_per_s"] = round(embed_batch["per_s"] * len(batch), 1)
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        synthetic = _SyntheticPassages(embedder, texts, bases, noise=0.03, seed=5)
        kb = KnowledgeBase(str(Path(tmp) / "bench.db"), synthetic, collection="bench")
        try:
            start = time.perf_counter()
            kb.upsert_chunks("bench", "generated", "faq", "g", [ChunkDraft("", t) for t in texts])
            kb.flush()
            result["build_s"] = round(time.perf_counter() - start, 1)
            kb.dense_search("bench", embedder.embed_queries([asked[0]])[0], candidates)  # loads the collection
            result["index_settle_s"] = _wait_until_idle()
            retriever = Retriever(kb, embedder, reranker, candidates=candidates, rerank_top=rerank_top)
            vectors = embedder.embed_queries(asked)
            kb.dense_search("bench", vectors[0], candidates)  # first search loads the index
            kb.bm25_search("bench", asked[0], candidates)
            cycle = iter(range(10**9))

            def pick() -> int:
                return next(cycle) % len(asked)

            result["dense_search"] = _timings(lambda: kb.dense_search("bench", vectors[pick()], candidates), queries)
            result["bm25_search"] = _timings(lambda: kb.bm25_search("bench", asked[pick()], candidates), queries)
            result["hybrid_search"] = _timings(
                lambda: retriever.stages(asked[(i := pick())], "bench", vector=vectors[i], rerank=False), queries
            )
            fused = [
                retriever.stages(q, "bench", vector=v, rerank=False).fused[:rerank_top]
                for q, v in zip(asked, vectors, strict=True)
            ]
            result["rerank"] = _timings(lambda: reranker.score(asked[(i := pick())], fused[i]), queries)
            result["search_and_rerank"] = _timings(
                lambda: retriever.stages(asked[(i := pick())], "bench", vector=vectors[i]), queries
            )
            result["retrieve_end_to_end"] = _timings(lambda: retriever.retrieve(asked[pick()], "bench", 5), queries)
        finally:
            kb.close()
    return result
