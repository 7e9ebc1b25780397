"""A throw-away knowledge base built from the shipped sample KB, for evaluations, calibrations and benchmarks.

It is the real stack the workers use (milvus-lite, the configured embedder, the learned reranker and its
calibration), in a temporary directory, so an evaluation never touches the platform's ``kb.db``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from jobs.kb_ingest import ingest_paths, sample_kb_dir
from kefu.settings import Settings
from serving.knowledge.store import KnowledgeBase
from serving.protocols import Embedder
from serving.retrieval.retriever import Retriever

__all__ = ["SampleKb", "sample_kb"]


@dataclass(frozen=True)
class SampleKb:
    kb: KnowledgeBase
    retriever: Retriever
    embedder: Embedder
    tenant: str
    """The first tenant it was ingested for."""


@contextmanager
def sample_kb(
    settings: Settings, *tenants: str, embedder: Embedder | None = None, directory: Path | None = None
) -> Iterator[SampleKb]:
    """The sample KB ingested for each of ``tenants`` into a temporary milvus-lite file, with a retriever over it."""
    from serving.embedding.factory import build_embedder
    from serving.retrieval.factory import build_retriever

    embedder = embedder or build_embedder(settings)
    with tempfile.TemporaryDirectory(prefix="kefu-sample-kb-", dir=directory) as tmp:
        kb = KnowledgeBase(str(Path(tmp) / "kb.db"), embedder, collection=settings.kb_collection)
        try:
            for tenant in tenants:
                report = ingest_paths(kb, tenant, [sample_kb_dir()])
                if report.errors:
                    raise RuntimeError(f"sample KB did not ingest: {report.errors}")
            retriever = build_retriever(settings, embedder=embedder, kb=kb)
            yield SampleKb(kb, retriever, embedder, tenants[0])
        finally:
            kb.close()
