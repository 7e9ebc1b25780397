"""Retrieval wired from the settings: the knowledge base, embedder, reranker and calibration they choose."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from kefu.settings import Settings
from serving.knowledge.location import kb_uri
from serving.knowledge.store import KnowledgeBase
from serving.protocols import Embedder, Reranker
from serving.retrieval.calibration import Calibrator
from serving.retrieval.retriever import Mode, Retriever

log = logging.getLogger(__name__)


def open_knowledge_base(settings: Settings, embedder: Embedder) -> KnowledgeBase:
    return KnowledgeBase(kb_uri(settings), embedder, collection=settings.kb_collection, token=settings.milvus_token)


def build_retriever(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    reranker: Reranker | None = None,
    kb: KnowledgeBase | None = None,
    mode: Mode = "rerank",
) -> Retriever:
    """A ``Retriever`` over the configured KB; pass ``embedder`` / ``reranker`` (e.g. Ray Serve handles) to share."""
    from serving.embedding.factory import build_embedder
    from serving.rerank.factory import build_reranker

    embedder = embedder or build_embedder(settings)
    if mode == "rerank" and reranker is None:
        reranker = build_reranker(settings, embedder)
    from serving.rerank.learned import LearnedReranker

    if settings.retrieval_confidence_signal == "dense":
        calibrator = confidence_calibrator(settings)
        warn_if_fitted_for_another_embedder(settings, embedder)
    elif isinstance(reranker, LearnedReranker):
        calibrator = reranker.calibrator
    else:
        calibrator = default_calibrator()
        if reranker is not None:
            calibrator = calibrator.for_reranker(reranker.model_id)
    return Retriever(
        kb or open_knowledge_base(settings, embedder),
        embedder,
        reranker if mode == "rerank" else None,
        candidates=settings.retrieval_candidates,
        rerank_top=settings.retrieval_rerank_top,
        rrf_k=settings.retrieval_rrf_k,
        calibrator=calibrator,
        mode=mode,
        confidence_signal=settings.retrieval_confidence_signal,
    )


def shipped_confidence_path(tuned_embedder: str | None = None) -> Path:
    """The dense-cosine calibration fitted on the sample KB's labelled queries (``kefu eval thresholds``), with
    e5-small's cosines or with those of the fine-tuned e5 named."""
    name = "sample_kb.json" if tuned_embedder is None else f"sample_kb-{tuned_embedder}.json"
    return Path(__file__).resolve().parent / "confidence" / name


def confidence_file(settings: Settings) -> Path:
    """``KEFU_RETRIEVAL_CONFIDENCE_FILE``, else the shipped sample-KB fit for the embedder in use."""
    from serving.embedding.factory import tuned_e5

    return Path(settings.retrieval_confidence_file or shipped_confidence_path(tuned_e5(settings)))


def _confidence_record(settings: Settings) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(confidence_file(settings).read_text(encoding="utf-8"))
    return record


def confidence_calibrator(settings: Settings) -> Calibrator:
    """The calibration of ``KEFU_RETRIEVAL_CONFIDENCE_FILE``, else the shipped sample-KB fit."""
    return Calibrator.load(confidence_file(settings))


def fitted_thresholds(settings: Settings) -> dict[str, float]:
    """The answer and clarify thresholds stored with the dense confidence (``kefu eval thresholds --write``).

    Empty when the confidence is not the dense one (the thresholds are on its scale only) or the file holds none.
    """
    if settings.retrieval_confidence_signal != "dense":
        return {}
    stored = _confidence_record(settings).get("thresholds") or {}
    return {name: float(stored[name]) for name in ("answer", "clarify") if name in stored}


def warn_if_fitted_for_another_embedder(settings: Settings, embedder: Embedder) -> None:
    """Cosines from another embedder mean another scale: the confidence (and so every threshold) would be off."""
    fitted_with = _confidence_record(settings).get("embedder")
    if fitted_with and fitted_with != embedder.model_id:
        log.warning(
            "the retrieval confidence in %s was fitted with the embedder %s, and retrieval uses %s: refit it with "
            "`kefu eval thresholds --write FILE` and set KEFU_RETRIEVAL_CONFIDENCE_FILE",
            confidence_file(settings),
            fitted_with,
            embedder.model_id,
        )


def default_calibrator() -> Calibrator:
    """The calibration shipped with the learned reranker (its ``dense`` curve holds for any reranker)."""
    from serving.rerank.learned import default_model_path

    return Calibrator.from_json(json.loads(default_model_path().read_text(encoding="utf-8")).get("calibration", {}))
