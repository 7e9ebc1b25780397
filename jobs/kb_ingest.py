"""Knowledge-base ingestion: files and directories into a tenant's chunks, skipping unchanged documents."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from serving.knowledge.documents import DocumentError, iter_files, load_document
from serving.knowledge.store import IngestOutcome, KnowledgeBase


@dataclass
class IngestReport:
    outcomes: list[IngestOutcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """One line per file that could not be read; the other files are still ingested."""

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    def summary(self) -> dict[str, int]:
        return {
            "added": self.count("added"),
            "updated": self.count("updated"),
            "unchanged": self.count("unchanged"),
            "chunks": sum(o.chunks for o in self.outcomes if o.status != "unchanged"),
            "errors": len(self.errors),
        }


def sample_kb_dir() -> Path:
    """The sample knowledge base shipped in the package (a fictional Chinese e-commerce shop)."""
    return Path(str(resources.files("serving.knowledge") / "sample_kb"))


def ingest_paths(kb: KnowledgeBase, tenant: str, paths: Iterable[Path]) -> IngestReport:
    """Ingest every supported file under ``paths`` for ``tenant``; sources are paths relative to each argument."""
    report = IngestReport()
    try:
        files = list(iter_files(list(paths)))
    except DocumentError as error:
        report.errors.append(str(error))
        return report
    for file, source in files:
        try:
            document = load_document(file, source)
        except (DocumentError, UnicodeDecodeError) as error:
            report.errors.append(f"{file}: {error}")
            continue
        report.outcomes.append(kb.upsert_document(tenant, document))
    if report.count("added") or report.count("updated"):
        kb.flush()
    return report
