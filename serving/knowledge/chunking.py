"""Splitting documents into chunks that respect headings and FAQ pairs.

A FAQ pair is one chunk (question and answer together: the question is what users ask, the answer what the
responder needs). Prose is split by headings first; a section longer than ``max_chars`` is split at paragraph,
then sentence boundaries, and every piece carries its heading path so it still says what it is about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from serving.knowledge.documents import Document

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=[.])\s+")


@dataclass(frozen=True)
class ChunkDraft:
    """A chunk before it has ids and embeddings."""

    title: str
    """The document title and heading path, e.g. ``退货 > 运费``."""
    text: str
    question: str | None = None
    """For FAQ chunks, the question alone: it is what the chunk's vector is made of (see ``embed_drafts``)."""

    @property
    def indexed_text(self) -> str:
        """What is embedded and BM25-indexed: the heading path gives a bare paragraph its topic."""
        return f"{self.title}\n{self.text}" if self.title and self.question is None else self.text


def chunk_document(document: Document, *, max_chars: int = 600) -> list[ChunkDraft]:
    """The document's chunks, in order.

    >>> from serving.knowledge.documents import Document, FaqPair
    >>> faq = Document("faq.jsonl", "faq", "faq", faq=(FaqPair("运费谁出？", "买家承担。"),))
    >>> chunk_document(faq)[0].text
    '问：运费谁出？\\n答：买家承担。'
    >>> doc = Document("r.md", "markdown", "退货", body="# 退货\\n\\n## 运费\\n\\n买家承担。\\n")
    >>> [(c.title, c.text) for c in chunk_document(doc)]
    [('退货 > 运费', '买家承担。')]
    """
    if document.kind == "faq":
        return [
            ChunkDraft(pair.category or document.title, f"问：{pair.question}\n答：{pair.answer}", pair.question)
            for pair in document.faq
        ]
    chunks: list[ChunkDraft] = []
    for path, body in _sections(document.body, document.title):
        title = " > ".join(path)
        chunks.extend(ChunkDraft(title, piece) for piece in _split(body, max_chars))
    return chunks


def _sections(body: str, doc_title: str) -> list[tuple[list[str], str]]:
    """(heading path, text) per section; the document's single top heading is not repeated in the path."""
    sections: list[tuple[list[str], str]] = []
    path: list[tuple[int, str]] = []
    lines: list[str] = []
    in_code = False

    def close() -> None:
        text = "\n".join(lines).strip()
        if text:
            names = [name for _, name in path] or [doc_title]
            if names[0] != doc_title:
                names.insert(0, doc_title)
            sections.append((names, text))
        lines.clear()

    for line in body.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        match = None if in_code else _HEADING.match(line)
        if match:
            close()
            level = len(match.group(1))
            path = [(lvl, name) for lvl, name in path if lvl < level]
            path.append((level, match.group(2).strip()))
        else:
            lines.append(line)
    close()
    return sections


def _split(text: str, max_chars: int) -> list[str]:
    """Pieces of at most ``max_chars``, cut at paragraph, then sentence, then hard boundaries."""
    if len(text) <= max_chars:
        return [text]
    pieces: list[str] = []
    current = ""
    for unit in _units(text, max_chars):
        if current and len(current) + 1 + len(unit) > max_chars:
            pieces.append(current)
            current = unit
        else:
            current = f"{current}\n{unit}" if current else unit
    if current:
        pieces.append(current)
    return pieces


def _units(text: str, max_chars: int) -> list[str]:
    units: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        paragraph = block.strip()
        if not paragraph:
            continue
        if len(paragraph) <= max_chars:
            units.append(paragraph)
            continue
        for raw in _SENTENCE_END.split(paragraph):
            sentence = raw.strip()
            while len(sentence) > max_chars:
                units.append(sentence[:max_chars])
                sentence = sentence[max_chars:]
            if sentence:
                units.append(sentence)
    return units
