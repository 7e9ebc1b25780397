"""The knowledge base: documents -> chunks -> Milvus (dense + BM25), per tenant, versioned by content hash."""

from serving.knowledge.chunking import ChunkDraft, chunk_document
from serving.knowledge.documents import Document, DocumentError, FaqPair, load_document, parse_document
from serving.knowledge.location import kb_uri, milvus_lite_server_argv
from serving.knowledge.store import Hit, IngestOutcome, KnowledgeBase, KnowledgeBaseError, SourceInfo

__all__ = [
    "ChunkDraft",
    "Document",
    "DocumentError",
    "FaqPair",
    "Hit",
    "IngestOutcome",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "SourceInfo",
    "chunk_document",
    "kb_uri",
    "load_document",
    "milvus_lite_server_argv",
    "parse_document",
]
