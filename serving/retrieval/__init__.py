"""Retrieval for the responder: hybrid search over the knowledge base, reranking, calibrated confidence."""

from serving.retrieval.calibration import Calibrator, Curve, Platt
from serving.retrieval.factory import build_retriever, open_knowledge_base
from serving.retrieval.fusion import fuse
from serving.retrieval.retriever import RetrievalResult, Retriever, Stages

__all__ = [
    "Calibrator",
    "Curve",
    "Platt",
    "RetrievalResult",
    "Retriever",
    "Stages",
    "build_retriever",
    "fuse",
    "open_knowledge_base",
]
