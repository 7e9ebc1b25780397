"""The knowledge base: chunks with dense embeddings and BM25 sparse vectors in one Milvus collection.

Every read and write is scoped to a tenant (a ``tenant == "..."`` filter built in one place), so one tenant
never sees another's chunks. Documents are versioned by content hash: re-ingesting an unchanged file does
nothing; a changed one gets new chunks under the next version, then the old version's chunks are deleted.
The same code talks to milvus-lite (a ``.db`` path, or ``milvus-lite server``) and to a Milvus >= 2.5 server.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from serving.knowledge.chunking import ChunkDraft, chunk_document
from serving.knowledge.documents import Document
from serving.protocols import Embedder, Passage, Vectors

_TEXT_MAX = 8192
_SOURCE_MAX = 512
_FIELDS = ["chunk_id", "tenant", "source", "kind", "title", "text", "version", "updated_at", "chunk_index"]


class KnowledgeBaseError(RuntimeError):
    """The knowledge base cannot be used as asked (wrong embedder for the collection, locked file, bad name)."""


@dataclass(frozen=True)
class SourceInfo:
    tenant: str
    source: str
    kind: str
    version: int
    updated_at: int
    """Epoch milliseconds of the ingest that wrote this version."""
    content_hash: str
    chunks: int


@dataclass(frozen=True)
class IngestOutcome:
    source: str
    status: str
    """``added``, ``updated`` or ``unchanged``."""
    chunks: int
    version: int


@dataclass(frozen=True)
class Hit:
    """One search result: the passage (``score`` = this search's score) and, when asked for, its vector."""

    passage: Passage
    vector: Vectors | None = None


def quote(value: str) -> str:
    """A string literal for a Milvus filter expression.

    >>> quote('a"b')
    '"a\\\\"b"'
    """
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def embed_drafts(embedder: Embedder, drafts: Sequence[ChunkDraft]) -> Vectors:
    """Chunk vectors. A chunk that is a question (a FAQ pair's question) is embedded as a query, so a user's
    question is matched against it symmetrically, as e5 prescribes for question-question similarity (on
    held-out AFQMC: MRR 0.38 against 0.34 with the ``passage:`` prefix); other chunks are passages.
    """
    out = np.zeros((len(drafts), embedder.dim), dtype=np.float32)
    questions = [i for i, d in enumerate(drafts) if d.question]
    passages = [i for i, d in enumerate(drafts) if not d.question]
    if questions:
        out[questions] = embedder.embed_queries([drafts[i].question or "" for i in questions])
    if passages:
        out[passages] = embedder.embed_passages([drafts[i].indexed_text for i in passages])
    return out


def tenant_filter(tenant: str) -> str:
    if not tenant:
        raise KnowledgeBaseError("a tenant is required: every knowledge-base read and write is scoped to one")
    return f"tenant == {quote(tenant)}"


class KnowledgeBase:
    """Chunks of one Milvus collection, embedded with ``embedder`` (the collection remembers which)."""

    def __init__(self, uri: str, embedder: Embedder, *, collection: str = "kefu_kb", token: str | None = None) -> None:
        from pymilvus import MilvusClient

        if uri.endswith(".db"):
            # milvus-lite serves a .db path from a gRPC server inside this process; it lacks AllocTimestamp,
            # which pymilvus asks for after writes and does without, but grpc logs each refusal as an ERROR.
            logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
            # Its BM25 analyzer loads jieba here, and jieba sets its own logger to DEBUG when imported: import it
            # first, then quieten the dictionary-load chatter it would print on every CLI search.
            import jieba

            jieba.setLogLevel(logging.WARNING)
        logging.getLogger("jieba").setLevel(logging.WARNING)
        self.uri = uri
        self.embedder = embedder
        self.collection = collection
        try:
            self._client = MilvusClient(uri, token=token or "")
        except Exception as error:  # pymilvus and milvus-lite raise many kinds; the message matters
            if "lock" in str(error).lower():
                raise KnowledgeBaseError(
                    f"{uri} is open in another process (milvus-lite allows one per file): stop it, or point "
                    "KEFU_MILVUS_URI at the running platform's Milvus (`kefu status`)"
                ) from error
            raise KnowledgeBaseError(f"cannot open the knowledge base at {uri}: {error}") from error
        self._ensure_collection()

    # --- schema -------------------------------------------------------------------------------------------

    def _ensure_collection(self) -> None:
        client = self._client
        if client.has_collection(self.collection):
            props = client.describe_collection(self.collection).get("properties", {}) or {}
            built_with = props.get("kefu.embedder")
            if built_with and built_with != self.embedder.model_id:
                raise KnowledgeBaseError(
                    f"collection {self.collection!r} was embedded with {built_with}, not {self.embedder.model_id}: "
                    "use the same embedder, or set KEFU_KB_COLLECTION to a new collection and ingest again"
                )
            client.load_collection(self.collection)
            return
        from pymilvus import DataType, Function, FunctionType

        schema = client.create_schema(auto_id=False)
        schema.add_field("chunk_id", DataType.VARCHAR, is_primary=True, max_length=64)
        schema.add_field("tenant", DataType.VARCHAR, max_length=128)
        schema.add_field("source", DataType.VARCHAR, max_length=_SOURCE_MAX * 4)
        schema.add_field("kind", DataType.VARCHAR, max_length=16)
        schema.add_field("title", DataType.VARCHAR, max_length=1024 * 4)
        schema.add_field("text", DataType.VARCHAR, max_length=_TEXT_MAX * 4)
        schema.add_field(
            "search_text",
            DataType.VARCHAR,
            max_length=_TEXT_MAX * 4,
            enable_analyzer=True,
            analyzer_params={"tokenizer": "jieba"},  # Chinese words; English splits on spaces as usual
        )
        schema.add_field("content_hash", DataType.VARCHAR, max_length=64)
        schema.add_field("version", DataType.INT64)
        schema.add_field("updated_at", DataType.INT64)
        schema.add_field("chunk_index", DataType.INT64)
        schema.add_field("chunks", DataType.INT64)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.embedder.dim)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            Function(
                name="bm25",
                function_type=FunctionType.BM25,
                input_field_names=["search_text"],
                output_field_names=["sparse"],
            )
        )
        index = client.prepare_index_params()
        index.add_index("dense", index_type="HNSW", metric_type="IP", params={"M": 16, "efConstruction": 200})
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        index.add_index("tenant", index_type="INVERTED")
        index.add_index("source", index_type="INVERTED")
        client.create_collection(
            self.collection,
            schema=schema,
            index_params=index,
            properties={"kefu.embedder": self.embedder.model_id, "kefu.dim": str(self.embedder.dim)},
        )

    # --- writes ---------------------------------------------------------------------------------------------

    def upsert_document(self, tenant: str, document: Document, *, now_ms: int | None = None) -> IngestOutcome:
        """Store ``document`` for ``tenant`` unless the same content is already there."""
        return self.upsert_chunks(
            tenant, document.source, document.kind, document.content_hash, chunk_document(document), now_ms=now_ms
        )

    def upsert_chunks(
        self,
        tenant: str,
        source: str,
        kind: str,
        content_hash: str,
        drafts: Sequence[ChunkDraft],
        *,
        now_ms: int | None = None,
    ) -> IngestOutcome:
        """Store already-chunked content as document ``source`` (evaluations build a KB of bare sentences)."""
        if not source or len(source) > _SOURCE_MAX:
            raise KnowledgeBaseError(f"source names must have 1 to {_SOURCE_MAX} characters: {source!r}")
        current = self.source_info(tenant, source)
        if current is not None and current.content_hash == content_hash:
            return IngestOutcome(source, "unchanged", current.chunks, current.version)
        version = (current.version + 1) if current else 1
        now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
        vectors = embed_drafts(self.embedder, drafts)
        rows: list[dict[str, Any]] = []
        for index, draft in enumerate(drafts):
            key = f"{tenant}\x00{source}\x00{version}\x00{index}"
            rows.append(
                {
                    "chunk_id": hashlib.sha256(key.encode()).hexdigest()[:32],
                    "tenant": tenant,
                    "source": source,
                    "kind": kind,
                    "title": draft.title[:1024],
                    "text": draft.text[:_TEXT_MAX],
                    "search_text": draft.indexed_text[:_TEXT_MAX],
                    "content_hash": content_hash,
                    "version": version,
                    "updated_at": now_ms,
                    "chunk_index": index,
                    "chunks": len(drafts),
                    "dense": vectors[index].tolist(),
                }
            )
        for start in range(0, len(rows), 500):
            self._client.insert(self.collection, rows[start : start + 500])
        # The new version is in before the old one goes, so a concurrent search never finds the document empty.
        self._client.delete(
            self.collection,
            filter=f"{tenant_filter(tenant)} and source == {quote(source)} and version < {version}",
        )
        return IngestOutcome(source, "updated" if current else "added", len(drafts), version)

    def delete_source(self, tenant: str, source: str) -> int:
        """Remove every chunk of ``source`` for ``tenant``; the number of chunks removed."""
        info = self.source_info(tenant, source)
        self._client.delete(self.collection, filter=f"{tenant_filter(tenant)} and source == {quote(source)}")
        return info.chunks if info else 0

    def flush(self) -> None:
        """Seal what was written: milvus-lite searches unflushed rows about 60x slower (STACK.md)."""
        self._client.flush(self.collection)

    # --- reads ----------------------------------------------------------------------------------------------

    def source_info(self, tenant: str, source: str) -> SourceInfo | None:
        found = self._sources(f"{tenant_filter(tenant)} and source == {quote(source)}")
        return max(found, key=lambda s: s.version) if found else None

    def sources(self, tenant: str | None = None) -> list[SourceInfo]:
        """One entry per document (all tenants when ``tenant`` is None: an operator's view, never a search)."""
        found = self._sources(tenant_filter(tenant) if tenant is not None else "")
        latest: dict[tuple[str, str], SourceInfo] = {}
        for info in found:
            key = (info.tenant, info.source)
            if key not in latest or latest[key].version < info.version:
                latest[key] = info
        return sorted(latest.values(), key=lambda s: (s.tenant, s.source))

    def _sources(self, where: str) -> list[SourceInfo]:
        expr = f"({where}) and chunk_index == 0" if where else "chunk_index == 0"
        rows = self._client.query(
            self.collection,
            filter=expr,
            output_fields=["tenant", "source", "kind", "version", "updated_at", "content_hash", "chunks"],
            limit=16384,
            consistency_level="Strong",
        )
        return [
            SourceInfo(
                str(r["tenant"]),
                str(r["source"]),
                str(r["kind"]),
                int(r["version"]),
                int(r["updated_at"]),
                str(r["content_hash"]),
                int(r["chunks"]),
            )
            for r in rows
        ]

    def version_stamp(self, tenant: str) -> str:
        """The tenant's knowledge-base epoch: changes whenever a document is added, replaced or deleted.

        A digest of every document's source, version and content hash, so caches of answers grounded on the
        KB (the responder's semantic answer cache) can tell that what they cited may be gone.
        """
        parts = sorted(f"{s.source}\x00{s.version}\x00{s.content_hash}" for s in self.sources(tenant))
        return hashlib.sha256("\x01".join(parts).encode()).hexdigest()[:16]

    def count(self, tenant: str) -> int:
        rows = self._client.query(self.collection, filter=tenant_filter(tenant), output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def dense_search(self, tenant: str, vector: Vectors, limit: int, *, with_vectors: bool = False) -> list[Hit]:
        """Nearest chunks by inner product of normalised vectors (= cosine), best first."""
        result = self._client.search(
            self.collection,
            data=[np.asarray(vector, dtype=np.float32).tolist()],
            anns_field="dense",
            limit=limit,
            filter=tenant_filter(tenant),
            output_fields=[*_FIELDS, "dense"] if with_vectors else _FIELDS,
            search_params={"metric_type": "IP", "params": {"ef": max(64, limit)}},
        )
        return [self._hit(h, float(h["distance"])) for h in result[0]]

    def bm25_search(self, tenant: str, query: str, limit: int, *, with_vectors: bool = False) -> list[Hit]:
        """Chunks by BM25 over jieba words of title and text, best first."""
        result = self._client.search(
            self.collection,
            data=[query],
            anns_field="sparse",
            limit=limit,
            filter=tenant_filter(tenant),
            output_fields=[*_FIELDS, "dense"] if with_vectors else _FIELDS,
            search_params={"metric_type": "BM25"},
        )
        # milvus-lite reports BM25 as a negative distance, a Milvus server as a positive score; both sort best first
        return [self._hit(h, abs(float(h["distance"]))) for h in result[0]]

    @staticmethod
    def _hit(raw: dict[str, Any], score: float) -> Hit:
        entity = raw.get("entity", raw)
        vector = entity.get("dense")
        passage = Passage(
            chunk_id=str(raw.get("id", entity.get("chunk_id"))),
            source=str(entity["source"]),
            text=str(entity["text"]),
            title=str(entity["title"]) or None,
            score=score,
            metadata={
                "tenant": str(entity["tenant"]),
                "kind": str(entity["kind"]),
                "version": str(entity["version"]),
                "updated_at": str(entity["updated_at"]),
                "chunk_index": str(entity["chunk_index"]),
            },
        )
        return Hit(passage, None if vector is None else np.asarray(vector, dtype=np.float32))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
