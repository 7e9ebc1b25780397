"""Rerankers (``serving.protocols.Reranker``): Kefu's learned ranker in process, or a ``/rerank`` endpoint."""

from serving.reranking.factory import build_reranker
from serving.reranking.http import HttpReranker, RerankerError
from serving.reranking.learned import LearnedReranker

__all__ = ["HttpReranker", "LearnedReranker", "RerankerError", "build_reranker"]
