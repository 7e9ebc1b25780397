"""read_sentiment_examples on each supported layout, built as tiny temporary files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from processors.sentiment import read_sentiment_examples
from processors.sentiment.reader import SentimentDataError


def test_reads_cat_label_review_csv_with_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "shop.csv"
    path.write_text('\ufeffcat,label,review\n书籍,1,\ufeff很好看\n水果,0,"烂了,不新鲜"\n', encoding="utf-8")
    assert read_sentiment_examples([path]) == [("很好看", 1), ("烂了,不新鲜", 0)]


def test_reads_label_review_csv_and_skips_empty_reviews(tmp_path: Path) -> None:
    path = tmp_path / "waimai.csv"
    path.write_text("label,review\n1,很快\n0,\n0,太慢了\n", encoding="utf-8")
    assert read_sentiment_examples([path]) == [("很快", 1), ("太慢了", 0)]


def test_reads_eprstmt_jsonl_with_word_labels(tmp_path: Path) -> None:
    path = tmp_path / "eprstmt_dev.jsonl"
    rows = [
        {"id": 0, "sentence": "好用", "label": "Positive"},
        {"id": 1, "sentence": "坏了", "label": "Negative"},
    ]
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n", encoding="utf-8")
    assert read_sentiment_examples([path]) == [("好用", 1), ("坏了", 0)]


def test_reads_text_label_jsonl_and_skips_neutral_rows(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    rows = [
        {"text": "thanks", "label": 1},
        {"text": "where is it", "label": "neutral"},
        {"text": "bad", "label": 0},
    ]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n\n", encoding="utf-8")
    assert read_sentiment_examples([path]) == [("thanks", 1), ("bad", 0)]


def test_directory_is_searched_recursively_in_sorted_order_ignoring_other_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.csv").write_text("label,review\n0,差\n", encoding="utf-8")
    (tmp_path / "a.jsonl").write_text('{"text": "好", "label": 1}\n', encoding="utf-8")
    (tmp_path / "README.md").write_text("not data", encoding="utf-8")
    assert read_sentiment_examples([tmp_path]) == [("好", 1), ("差", 0)]


def test_unknown_label_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("label,review\n1,好\nmaybe,嗯\n", encoding="utf-8")
    with pytest.raises(SentimentDataError, match=r"bad\.csv:3"):
        read_sentiment_examples([path])


def test_csv_without_text_column_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("label,comment\n1,好\n", encoding="utf-8")
    with pytest.raises(SentimentDataError, match="no label and text columns"):
        read_sentiment_examples([path])


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_sentiment_examples([tmp_path / "nope.csv"])
