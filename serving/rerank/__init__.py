"""Rerankers (``serving.protocols.Reranker``): Kefu's learned ranker in process, or a ``/rerank`` endpoint."""

from serving.rerank.factory import build_reranker
from serving.rerank.http import HttpReranker, RerankerError
from serving.rerank.learned import LearnedReranker

__all__ = ["HttpReranker", "LearnedReranker", "RerankerError", "build_reranker"]
