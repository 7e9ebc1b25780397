from __future__ import annotations

from serving.knowledge.chunking import chunk_document
from serving.knowledge.documents import Document, FaqPair


def _markdown(body: str) -> Document:
    return Document("doc.md", "markdown", "退货", body=body)


def test_every_faq_pair_is_one_chunk_with_question_and_answer() -> None:
    doc = Document(
        "faq.jsonl", "faq", "faq", faq=(FaqPair("运费谁出？", "买家承担。", "returns"), FaqPair("多久退款？", "三天。"))
    )
    chunks = chunk_document(doc)
    assert [(c.title, c.question, c.text) for c in chunks] == [
        ("returns", "运费谁出？", "问：运费谁出？\n答：买家承担。"),
        ("faq", "多久退款？", "问：多久退款？\n答：三天。"),
    ]
    assert chunks[0].indexed_text == chunks[0].text


def test_sections_carry_their_heading_path() -> None:
    chunks = chunk_document(
        _markdown("# 退货\n\n总则。\n\n## 运费\n\n买家承担。\n\n### 例外\n\n质量问题除外。\n\n## 时限\n\n七天。\n")
    )
    assert [(c.title, c.text) for c in chunks] == [
        ("退货", "总则。"),
        ("退货 > 运费", "买家承担。"),
        ("退货 > 运费 > 例外", "质量问题除外。"),
        ("退货 > 时限", "七天。"),
    ]
    assert chunks[1].indexed_text == "退货 > 运费\n买家承担。"


def test_long_sections_split_at_sentence_boundaries_within_the_limit() -> None:
    sentence = "这是一句关于退货流程的说明。"
    chunks = chunk_document(_markdown("## 流程\n\n" + sentence * 40), max_chars=100)
    assert len(chunks) > 1
    assert all(len(c.text) <= 100 for c in chunks)
    assert all(c.text.endswith("。") for c in chunks)
    assert "".join(c.text.replace("\n", "") for c in chunks) == sentence * 40


def test_hash_lines_inside_code_fences_are_not_headings() -> None:
    chunks = chunk_document(_markdown("## 示例\n\n```\n# not a heading\n```\n"))
    assert len(chunks) == 1 and "# not a heading" in chunks[0].text
