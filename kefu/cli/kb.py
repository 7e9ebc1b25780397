"""The knowledge base: ``kefu kb ingest | delete | list | search``."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from kefu.settings import get_settings

if TYPE_CHECKING:
    from serving.knowledge.store import KnowledgeBase

kb_app = typer.Typer(
    help="The knowledge base (Milvus): ingest documents, list, delete and search them.", no_args_is_help=True
)

Tenant = Annotated[str, typer.Option(help="Tenant whose knowledge this is; every read and write is scoped to one.")]


def register(app: typer.Typer) -> None:
    app.add_typer(kb_app, name="kb")


def _open() -> KnowledgeBase:
    from serving.embedding.factory import build_embedder
    from serving.knowledge.store import KnowledgeBaseError
    from serving.retrieval.factory import open_knowledge_base

    settings = get_settings()
    embedder = build_embedder(settings)
    try:
        return open_knowledge_base(settings, embedder)
    except KnowledgeBaseError as error:
        print(f"kefu kb: {error}", file=sys.stderr)
        raise typer.Exit(2) from None


@kb_app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or directories: .md .html .txt .pdf, FAQ .csv/.jsonl.")
    ] = None,
    tenant: Tenant = "default",
    sample: Annotated[bool, typer.Option(help="Ingest the shipped sample knowledge base (a demo shop).")] = False,
) -> None:
    """Ingest documents; unchanged ones (same content hash) are skipped, changed ones replaced."""
    from jobs.kb_ingest import ingest_paths, sample_kb_dir

    targets = list(paths or []) + ([sample_kb_dir()] if sample else [])
    if not targets:
        print("kefu kb ingest: give PATH... or --sample", file=sys.stderr)
        raise typer.Exit(2)
    with _open() as kb:
        report = ingest_paths(kb, tenant, targets)
    for outcome in report.outcomes:
        print(f"{outcome.status:9} {outcome.source} ({outcome.chunks} chunks, v{outcome.version})")
    for error in report.errors:
        print(f"error     {error}", file=sys.stderr)
    print(json.dumps({"tenant": tenant, **report.summary()}))
    if report.errors:
        raise typer.Exit(1)


@kb_app.command()
def delete(
    source: Annotated[str, typer.Argument(help="Source name as `kefu kb list` shows it.")], tenant: Tenant = "default"
) -> None:
    """Delete one document (all its chunks) of a tenant."""
    with _open() as kb:
        removed = kb.delete_source(tenant, source)
    if not removed:
        print(f"kefu kb delete: no source {source!r} for tenant {tenant!r}", file=sys.stderr)
        raise typer.Exit(1)
    print(json.dumps({"tenant": tenant, "source": source, "deleted_chunks": removed}))


@kb_app.command("list")
def list_sources(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant; default: every tenant.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """List documents: tenant, source, kind, version, chunks, updated_at."""
    with _open() as kb:
        sources = kb.sources(tenant)
    for info in sources:
        updated = datetime.fromtimestamp(info.updated_at / 1000, tz=UTC).isoformat(timespec="seconds")
        if as_json:
            print(json.dumps({**info.__dict__, "updated_at": updated}, ensure_ascii=False))
        else:
            print(f"{info.tenant}\t{info.source}\t{info.kind}\tv{info.version}\t{info.chunks} chunks\t{updated}")


@kb_app.command()
def search(
    query: Annotated[str, typer.Argument(help="The question.")],
    tenant: Tenant = "default",
    k: Annotated[int, typer.Option(help="Passages to return.")] = 5,
    mode: Annotated[str, typer.Option(help="rerank (default), fusion (dense + BM25) or dense.")] = "rerank",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Search a tenant's knowledge as the responder does: hybrid search, rerank, calibrated confidence."""
    from serving.retrieval.factory import build_retriever

    if mode not in ("rerank", "fusion", "dense"):
        print("kefu kb search: --mode is rerank, fusion or dense", file=sys.stderr)
        raise typer.Exit(2)
    chosen: Literal["rerank", "fusion", "dense"] = mode  # type: ignore[assignment]
    with _open() as kb:
        retriever = build_retriever(get_settings(), embedder=kb.embedder, kb=kb, mode=chosen)
        result = retriever.retrieve(query, tenant, k)
    if as_json:
        print(
            json.dumps(
                {
                    "query": result.query,
                    "tenant": tenant,
                    "mode": result.mode,
                    "confidence": round(result.confidence, 4),
                    "passages": [
                        {
                            "chunk_id": p.chunk_id,
                            "source": p.source,
                            "title": p.title,
                            "score": round(p.score, 6),
                            "text": p.text,
                            "metadata": dict(p.metadata),
                        }
                        for p in result.passages
                    ],
                },
                ensure_ascii=False,
            )
        )
        return
    print(f"confidence {result.confidence:.2f} ({result.mode})")
    for rank, passage in enumerate(result.passages, start=1):
        title = f" [{passage.title}]" if passage.title else ""
        print(f"{rank}. {passage.score:.3f} {passage.source}{title}\n   {passage.text.replace(chr(10), ' / ')}")
