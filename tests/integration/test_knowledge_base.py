"""The knowledge base on real milvus-lite with the real e5 embedder: ingestion, versions, tenants, search."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.kb_ingest import ingest_paths
from serving.embedding import E5Embedder
from serving.knowledge import KnowledgeBase, KnowledgeBaseError
from serving.rerank import LearnedReranker
from serving.retrieval import Retriever

FIXTURES = Path(__file__).parent / "kb_fixtures"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedder() -> E5Embedder:
    return E5Embedder()


@pytest.fixture
def kb(tmp_path: Path, embedder: E5Embedder) -> Iterator[KnowledgeBase]:
    with KnowledgeBase(str(tmp_path / "kb.db"), embedder, collection="test") as base:
        yield base


def _retriever(kb: KnowledgeBase, reranker: bool = True) -> Retriever:
    return Retriever(kb, kb.embedder, LearnedReranker(embedder=kb.embedder) if reranker else None)


def test_ingest_then_search_finds_the_answering_chunk_first(kb: KnowledgeBase) -> None:
    report = ingest_paths(kb, "acme", [FIXTURES / "acme"])
    assert report.errors == []
    assert report.summary() == {"added": 3, "updated": 0, "unchanged": 0, "chunks": 5, "errors": 0}
    result = _retriever(kb).retrieve("退货的邮费谁来付", "acme", k=3)
    assert result[0].source == "returns.md" and "运费" in result[0].text
    assert result[0].title == "退货政策 > 退货运费"
    assert 0.0 <= result.confidence <= 1.0
    assert _retriever(kb).retrieve("保修多久", "acme", k=1)[0].source == "warranty.html"


def test_tenant_a_never_sees_tenant_b_chunks(kb: KnowledgeBase) -> None:
    ingest_paths(kb, "acme", [FIXTURES / "acme"])
    ingest_paths(kb, "globex", [FIXTURES / "globex"])
    for mode_reranker in (True, False):
        retriever = _retriever(kb, mode_reranker)
        for query in ("发票怎么开？", "Globex 退货", "退货运费", "保修"):
            acme = retriever.retrieve(query, "acme", k=10)
            assert acme.passages and all(p.metadata["tenant"] == "acme" for p in acme)
            assert all("Globex" not in p.text for p in acme)
            globex = retriever.retrieve(query, "globex", k=10)
            assert globex.passages and all(p.metadata["tenant"] == "globex" for p in globex)
    assert {s.tenant for s in kb.sources("acme")} == {"acme"}
    assert {(s.tenant, s.source) for s in kb.sources()} >= {("acme", "returns.md"), ("globex", "returns.md")}
    assert _retriever(kb).retrieve("发票", "nobody", k=5).passages == []


def test_reingest_skips_unchanged_and_replaces_changed_documents(kb: KnowledgeBase, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(FIXTURES / "acme", docs)
    ingest_paths(kb, "acme", [docs])
    again = ingest_paths(kb, "acme", [docs])
    assert again.summary()["unchanged"] == 3 and again.summary()["chunks"] == 0

    (docs / "faq.jsonl").write_text(
        '{"question": "发票怎么开？", "answer": "在 App 的发票中心申请。"}\n', encoding="utf-8"
    )
    changed = ingest_paths(kb, "acme", [docs])
    assert changed.summary() == {"added": 0, "updated": 1, "unchanged": 2, "chunks": 1, "errors": 0}
    info = kb.source_info("acme", "faq.jsonl")
    assert info is not None and info.version == 2 and info.chunks == 1
    texts = [p.text for p in _retriever(kb, False).retrieve("发票", "acme", k=10)]
    assert any("发票中心" in t for t in texts) and not any("订单详情" in t for t in texts)
    assert kb.count("acme") == 4


def test_delete_source_removes_only_that_tenants_document(kb: KnowledgeBase) -> None:
    ingest_paths(kb, "acme", [FIXTURES / "acme"])
    ingest_paths(kb, "globex", [FIXTURES / "globex"])
    assert kb.delete_source("acme", "returns.md") == 2
    assert kb.delete_source("acme", "returns.md") == 0
    assert [s.source for s in kb.sources("acme")] == ["faq.jsonl", "warranty.html"]
    assert [s.source for s in kb.sources("globex")] == ["faq.csv", "returns.md"]


def test_a_collection_refuses_an_embedder_it_was_not_built_with(kb: KnowledgeBase, tmp_path: Path) -> None:
    ingest_paths(kb, "acme", [FIXTURES / "acme" / "faq.jsonl"])
    kb.close()

    class Other(E5Embedder):
        model_id = "another-model"

    with pytest.raises(KnowledgeBaseError, match="embedded with intfloat/multilingual-e5-small"):
        KnowledgeBase(str(tmp_path / "kb.db"), Other(), collection="test")


def test_rewrite_hook_runs_before_search_and_modes_rank_from_the_same_searches(kb: KnowledgeBase) -> None:
    ingest_paths(kb, "acme", [FIXTURES / "acme"])
    rewritten = Retriever(kb, kb.embedder, None, rewrite=lambda q: q.replace("那个", "发票"))
    result = rewritten.retrieve("那个怎么开", "acme", k=2)
    assert result.query == "发票怎么开" and result.mode == "fusion"
    assert "发票" in result[0].text
    fused = Retriever(kb, kb.embedder, None).retrieve("发票怎么开", "acme", k=2)
    dense = Retriever(kb, kb.embedder, None, mode="dense").retrieve("发票怎么开", "acme", k=2)
    assert dense.mode == "dense" and "bm25_rank" not in dense[0].metadata and 0.5 < dense[0].score <= 1.0
    assert dense[0].chunk_id == fused[0].chunk_id
    assert dense.confidence == pytest.approx(fused.confidence, abs=1e-5)  # same top chunk, same cosine
    assert Retriever(kb, kb.embedder).retrieve("   ", "acme").passages == []


async def test_aretrieve_gives_the_responder_the_same_result_off_the_event_loop(kb: KnowledgeBase) -> None:
    ingest_paths(kb, "acme", [FIXTURES / "acme"])
    retriever = _retriever(kb)
    found = await retriever.aretrieve("快递多久能到", "acme", 3)
    assert [p.chunk_id for p in found.passages] == [p.chunk_id for p in retriever.retrieve("快递多久能到", "acme", 3)]
    assert "次日达" in found.passages[0].text and 0.0 <= found.confidence <= 1.0
