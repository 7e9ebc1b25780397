"""`kefu kb ...` and `kefu eval retrieval` end to end, in process, on an embedded milvus-lite file."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.cli import app
from kefu.settings import get_settings

FIXTURES = Path(__file__).parent / "kb_fixtures"
pytestmark = pytest.mark.slow


@pytest.fixture
def kefu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_kb_ingest_list_search_delete(kefu: CliRunner, tmp_path: Path) -> None:
    ingest = kefu.invoke(app, ["kb", "ingest", str(FIXTURES / "acme"), "--tenant", "acme"])
    assert ingest.exit_code == 0, ingest.output
    assert json.loads(ingest.output.strip().splitlines()[-1])["added"] == 3
    assert (tmp_path / "data" / "kb.db").exists()

    listed = kefu.invoke(app, ["kb", "list", "--tenant", "acme", "--json"])
    assert [json.loads(line)["source"] for line in listed.output.splitlines()] == [
        "faq.jsonl",
        "returns.md",
        "warranty.html",
    ]

    found = kefu.invoke(app, ["kb", "search", "快递几天到", "--tenant", "acme", "--k", "2", "--json"])
    assert found.exit_code == 0, found.output
    result = json.loads(found.output)
    assert result["mode"] == "rerank" and len(result["passages"]) == 2
    assert "次日达" in result["passages"][0]["text"] and 0 <= result["confidence"] <= 1

    deleted = kefu.invoke(app, ["kb", "delete", "faq.jsonl", "--tenant", "acme"])
    assert json.loads(deleted.output)["deleted_chunks"] == 2
    assert kefu.invoke(app, ["kb", "delete", "faq.jsonl", "--tenant", "acme"]).exit_code == 1


def test_kb_ingest_reports_a_bad_file_and_still_ingests_the_rest(kefu: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "only a question"}\n', encoding="utf-8")
    result = kefu.invoke(app, ["kb", "ingest", str(bad), str(FIXTURES / "globex" / "faq.csv"), "--tenant", "g"])
    assert result.exit_code == 1
    summary = next(line for line in result.output.splitlines() if line.startswith("{"))
    assert "bad.jsonl" in result.output and json.loads(summary)["added"] == 1


def test_eval_retrieval_prints_each_stages_metrics(kefu: CliRunner, tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    rows = [
        ("花呗怎么还款", "花呗如何还钱", "1"),
        ("借呗额度怎么提升", "怎样提高借呗的额度", "1"),
        ("退货运费谁出", "退货邮费谁付", "1"),
        ("发票怎么开", "花呗能分期吗", "0"),
        ("快递多久到", "物流几天能到", "1"),
    ]
    pairs.write_text(
        "".join(json.dumps({"sentence1": a, "sentence2": b, "label": y}, ensure_ascii=False) + "\n" for a, b, y in rows)
    )
    result = kefu.invoke(app, ["eval", "retrieval", "--pairs", str(pairs)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) >= {"dense", "fusion", "reranked"}
    for stage in ("dense", "fusion", "reranked"):
        assert report[stage]["queries"] == 4
        assert report[stage]["recall_at_5"] == 1.0  # five sentences: every relevant one is in the top 5
        assert 0 < report[stage]["mrr"] <= 1


def test_eval_retrieval_also_reports_judged_equivalents_and_refuses_judgements_for_another_file(
    kefu: CliRunner, tmp_path: Path
) -> None:
    pairs = tmp_path / "pairs.jsonl"
    rows = [
        ("花呗如何还钱", "借呗额度怎么提升", "0"),  # line 1: the same question as line 2's query, unlabelled
        ("快递多久到", "花呗怎么还款", "1"),  # line 2: a labelled partner that is no paraphrase
        ("借呗额度怎么提升", "怎样提高借呗的额度", "1"),
        ("退货运费谁出", "退货邮费谁付", "1"),
    ]
    pairs.write_text(
        "".join(json.dumps({"sentence1": a, "sentence2": b, "label": y}, ensure_ascii=False) + "\n" for a, b, y in rows)
    )
    judged = tmp_path / "judged.json"
    digest = hashlib.sha256(pairs.read_bytes()).hexdigest()
    judged.write_text(json.dumps({"pairs_sha256": digest, "queries": [{"query_line": 2, "equivalent_line": 1}]}))
    result = kefu.invoke(app, ["eval", "retrieval", "--pairs", str(pairs), "--judgements", str(judged)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["judgements"] == {"file": str(judged), "audited_queries": 1, "with_an_equivalent": 1}
    for stage in ("dense", "fusion", "reranked"):
        # "花呗怎么还款" finds "花呗如何还钱" first: a miss by the labels, a hit with the judgement
        assert report[stage]["recall_at_1"] < report["judged"][stage]["recall_at_1"] == 1.0

    judged.write_text(json.dumps({"pairs_sha256": "0" * 64, "queries": []}))
    refused = kefu.invoke(app, ["eval", "retrieval", "--pairs", str(pairs), "--judgements", str(judged)])
    assert refused.exit_code == 2 and "another pairs file" in refused.output


SAMPLE = Path(__file__).parents[2] / "serving" / "knowledge" / "sample_kb"


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="the sample knowledge base is written on another branch")
def test_kb_ingest_sample_answers_a_returns_question_from_the_sample(kefu: CliRunner) -> None:
    assert kefu.invoke(app, ["kb", "ingest", "--sample", "--tenant", "demo"]).exit_code == 0
    found = kefu.invoke(app, ["kb", "search", "退货的运费谁来出", "--tenant", "demo", "--json"])
    top = json.loads(found.output)["passages"][0]
    assert "运费" in top["text"] and top["source"] in {"faq.jsonl", "returns.md"}
