from __future__ import annotations

from pathlib import Path

import pytest

from serving.knowledge.documents import DocumentError, html_to_markdown, iter_files, load_document, parse_document


def _minimal_pdf(text: str) -> bytes:
    """A one-page PDF whose content stream draws ``text`` (ASCII) in Helvetica."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def test_markdown_title_comes_from_its_first_heading() -> None:
    doc = parse_document("# 退货政策\n\n七天无理由。\n".encode(), "markdown", "returns.md")
    assert (doc.title, doc.kind, doc.source) == ("退货政策", "markdown", "returns.md")


def test_html_keeps_headings_and_drops_scripts_and_navigation() -> None:
    title, body = html_to_markdown(
        "<html><head><title>配送</title><script>var x = 1;</script></head><body><nav>首页</nav>"
        "<h2>运费</h2><p>满99元包邮。</p><ul><li>偏远地区除外</li></ul></body></html>"
    )
    assert title == "配送"
    assert "## 运费" in body and "满99元包邮。" in body and "- 偏远地区除外" in body
    assert "var x" not in body and "首页" not in body


def test_faq_jsonl_and_csv_keep_each_question_with_its_answer() -> None:
    jsonl = parse_document(
        '{"question": "运费谁出？", "answer": "买家。", "category": "returns"}\n'.encode(),
        "faq",
        "f.jsonl",
        suffix=".jsonl",
    )
    csv = parse_document("问题,答案\n能开发票吗？,能。\n".encode(), "faq", "f.csv", suffix=".csv")
    assert [(p.question, p.answer, p.category) for p in jsonl.faq] == [("运费谁出？", "买家。", "returns")]
    assert [(p.question, p.answer) for p in csv.faq] == [("能开发票吗？", "能。")]


def test_faq_row_without_an_answer_names_its_line() -> None:
    with pytest.raises(DocumentError, match=r"f.jsonl:2"):
        parse_document(b'{"question": "a", "answer": "b"}\n{"question": "c"}\n', "faq", "f.jsonl", suffix=".jsonl")


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    path = tmp_path / "warranty.pdf"
    path.write_bytes(_minimal_pdf("Warranty lasts one year"))
    doc = load_document(path)
    assert doc.kind == "pdf" and "Warranty lasts one year" in doc.body


def test_unsupported_file_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG")
    with pytest.raises(DocumentError, match="unsupported file type"):
        load_document(path)


def test_directory_sources_are_relative_paths_and_unknown_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text("# A\n")
    (tmp_path / "b.txt").write_text("b")
    (tmp_path / "c.png").write_bytes(b"")
    assert [source for _, source in iter_files([tmp_path])] == ["b.txt", "sub/a.md"]


def test_content_hash_changes_with_content_only() -> None:
    first = parse_document(b"# A\nx\n", "markdown", "a.md")
    same = parse_document(b"# A\nx\n", "markdown", "renamed.md")
    other = parse_document(b"# A\ny\n", "markdown", "a.md")
    assert first.content_hash == same.content_hash != other.content_hash
