"""Reading knowledge files into documents: Markdown, HTML, plain text, PDF and FAQ question-answer files.

A document keeps its structure where the format has one: Markdown-style headings (HTML headings become
Markdown ones) so chunking can respect sections, and FAQ files keep each question with its answer.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SUFFIXES = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
    ".csv": "faq",
    ".jsonl": "faq",
    ".pdf": "pdf",
}
_QUESTION_KEYS = ("question", "q", "问题", "title")
_ANSWER_KEYS = ("answer", "a", "答案", "content")


class DocumentError(ValueError):
    """A file that cannot be read as knowledge (unknown type, bad FAQ rows, unreadable PDF)."""


@dataclass(frozen=True)
class FaqPair:
    question: str
    answer: str
    category: str | None = None


@dataclass(frozen=True)
class Document:
    """One knowledge file. ``source`` names it inside a tenant (``kefu kb delete SOURCE``)."""

    source: str
    kind: str
    title: str
    body: str = ""
    """Markdown-style text (``#`` headings); empty for FAQ files."""
    faq: tuple[FaqPair, ...] = field(default=())
    content_hash: str = ""


def iter_files(paths: list[Path]) -> Iterator[tuple[Path, str]]:
    """Each knowledge file under ``paths`` with its source name: relative to the directory given, or its name."""
    for path in paths:
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES):
                yield file, file.relative_to(path).as_posix()
        elif path.is_file():
            yield path, path.name
        else:
            raise DocumentError(f"{path}: no such file or directory")


def load_document(path: Path, source: str | None = None) -> Document:
    """Read one file; its kind comes from the suffix."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DocumentError(f"{path}: unsupported file type (supported: {', '.join(sorted(SUFFIXES))})")
    raw = path.read_bytes()
    return parse_document(raw, kind, source or path.name, suffix=path.suffix.lower())


def parse_document(raw: bytes, kind: str, source: str, *, suffix: str = "") -> Document:
    """Parse file content of a known kind; ``content_hash`` is over the bytes, so unchanged files are skipped."""
    digest = hashlib.sha256(raw).hexdigest()
    stem = Path(source).stem
    if kind == "pdf":
        body = _pdf_text(raw, source)
        return Document(source, "pdf", stem, body=body, content_hash=digest)
    text = raw.decode("utf-8-sig")
    if kind == "faq":
        pairs = _csv_faq(text, source) if suffix == ".csv" else _jsonl_faq(text, source)
        return Document(source, "faq", stem, faq=tuple(pairs), content_hash=digest)
    if kind == "html":
        title, body = html_to_markdown(text)
        return Document(source, "html", title or stem, body=body, content_hash=digest)
    if kind == "markdown":
        heading = re.search(r"^#\s+(.+)$", text, flags=re.MULTILINE)
        return Document(
            source, "markdown", heading.group(1).strip() if heading else stem, body=text, content_hash=digest
        )
    if kind == "text":
        return Document(source, "text", stem, body=text, content_hash=digest)
    raise DocumentError(f"{source}: unknown kind {kind!r}")


def _pick(row: dict[str, object], keys: tuple[str, ...]) -> str:
    lowered = {str(k).strip().lower(): v for k, v in row.items()}
    for key in keys:
        value = lowered.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _faq_pair(row: dict[str, object], where: str) -> FaqPair:
    question, answer = _pick(row, _QUESTION_KEYS), _pick(row, _ANSWER_KEYS)
    if not question or not answer:
        raise DocumentError(f"{where}: a FAQ row needs a question and an answer (keys: question/answer)")
    category = _pick(row, ("category", "分类")) or None
    return FaqPair(question, answer, category)


def _jsonl_faq(text: str, source: str) -> list[FaqPair]:
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise DocumentError(f"{source}:{number}: not JSON: {error.msg}") from None
        if not isinstance(row, dict):
            raise DocumentError(f"{source}:{number}: expected a JSON object")
        pairs.append(_faq_pair(row, f"{source}:{number}"))
    return pairs


def _csv_faq(text: str, source: str) -> list[FaqPair]:
    reader = csv.DictReader(io.StringIO(text))
    return [_faq_pair(dict(row), f"{source}:{number}") for number, row in enumerate(reader, start=2)]


def html_to_markdown(html: str) -> tuple[str | None, str]:
    """The page's title and its readable text with headings as ``#`` lines; scripts, styles and navigation go."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for junk in soup(["script", "style", "nav", "header", "footer", "noscript", "template"]):
        junk.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    lines: list[str] = []
    for element in soup.find_all(
        ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "blockquote", "tr", "dt", "dd"]
    ):
        if element.find_parent(["p", "li", "pre", "blockquote", "tr", "dd"]) is not None:
            continue  # its text is already in the enclosing block
        name = element.name or ""
        if name == "tr":
            text = " | ".join(cell.get_text(" ", strip=True) for cell in element.find_all(["td", "th"]))
        else:
            text = element.get_text(" ", strip=True)
        if not text:
            continue
        if name.startswith("h") and name[1:].isdigit():
            lines.extend(["", "#" * int(name[1:]) + " " + text, ""])
            title = title or text
        elif name == "li":
            lines.append("- " + text)
        else:
            lines.extend([text, ""])
    return title, "\n".join(lines).strip() + "\n"


def _pdf_text(raw: bytes, source: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError) as error:
        raise DocumentError(f"{source}: unreadable PDF: {error}") from None
    return "\n\n".join(p.strip() for p in pages if p.strip())
