"""Judged-equivalent questions for the retrieval evaluation: resolution by line number, the file pin, the audit."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from jobs.eval_retrieval import ranking_metrics, read_pairs
from jobs.relevance_judgements import AFQMC_DEV_AUDIT, JudgementsError, judged_relevance, read_judgements

AFQMC_DEV = Path(__file__).parents[4] / "shared" / "data" / "afqmc" / "dev.jsonl"


def _pairs(*rows: tuple[str, str, str]) -> bytes:
    lines = (json.dumps({"sentence1": a, "sentence2": b, "label": y}, ensure_ascii=False) for a, b, y in rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


PAIRS = _pairs(
    ("花呗如何还钱", "借呗能提额吗", "0"),
    ("快递多久到", "花呗怎么还款", "1"),
    ("借呗额度怎么提升", "借呗能提额吗", "1"),
)


def _judgements(tmp_path: Path, queries: list[dict[str, int | None]], pairs: bytes = PAIRS) -> Path:
    path = tmp_path / "judged.json"
    path.write_text(json.dumps({"pairs_sha256": hashlib.sha256(pairs).hexdigest(), "queries": queries}))
    return path


def test_a_judged_equivalent_counts_as_relevant_beside_the_labelled_partner(tmp_path: Path) -> None:
    path = _judgements(tmp_path, [{"query_line": 2, "equivalent_line": 1}, {"query_line": 3, "equivalent_line": None}])
    judged = read_judgements(path, PAIRS)
    assert judged == {"花呗怎么还款": frozenset({"花呗如何还钱"}), "借呗能提额吗": frozenset()}

    pairs = read_pairs(PAIRS.decode().splitlines())
    relevance = judged_relevance(pairs, judged)
    assert relevance == [frozenset({"快递多久到", "花呗如何还钱"}), frozenset({"借呗额度怎么提升"})]
    rankings = [["花呗如何还钱", "快递多久到"], ["借呗额度怎么提升"]]
    assert ranking_metrics(rankings, [r for _, r in pairs.queries]).recall_at_1 == 0.5
    assert ranking_metrics(rankings, relevance).recall_at_1 == 1.0


def test_judgements_written_for_another_pairs_file_are_refused(tmp_path: Path) -> None:
    path = _judgements(tmp_path, [{"query_line": 2, "equivalent_line": 1}], pairs=b"other\n")
    with pytest.raises(JudgementsError, match="another pairs file"):
        read_judgements(path, PAIRS)


@pytest.mark.parametrize("entry", [{"query_line": 9, "equivalent_line": 1}, {"query_line": 2, "equivalent_line": 0}])
def test_a_line_outside_the_pairs_file_is_named(tmp_path: Path, entry: dict[str, int]) -> None:
    with pytest.raises(JudgementsError, match="is not a line of the pairs file"):
        read_judgements(_judgements(tmp_path, [entry]), PAIRS)


def test_a_file_that_is_not_judgements_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "judged.json"
    path.write_text("[1, 2]")
    with pytest.raises(JudgementsError, match="not a judgements file"):
        read_judgements(path, PAIRS)


def test_the_shipped_afqmc_audit_covers_every_query_the_default_does_not_rank_first() -> None:
    audit = json.loads(AFQMC_DEV_AUDIT.read_text(encoding="utf-8"))
    entries = audit["queries"]
    assert len(entries) == 435 and len({e["query_line"] for e in entries}) == 435
    misses = [e for e in entries if e["labelled_rank"] is None]
    assert len(misses) == 209 and sum(e["equivalent_line"] is None for e in misses) == 24
    # below the labelled partner's rank: an equivalent ranked after it would change nothing
    assert all(e["rank"] is None or 1 <= e["rank"] < (e["labelled_rank"] or 6) for e in entries)


@pytest.mark.skipif(not AFQMC_DEV.is_file(), reason="AFQMC dev is read from ../shared/data, not shipped")
def test_the_shipped_audit_resolves_against_afqmc_dev() -> None:
    raw = AFQMC_DEV.read_bytes()
    judged = read_judgements(AFQMC_DEV_AUDIT, raw)
    queries = dict(read_pairs(raw.decode().splitlines()).queries)
    assert len(judged) == 435 and set(judged) <= set(queries)
    # an equivalent is another question than the labelled partner, which was ranked below it or not in the top 5
    assert all(not (texts & queries[query]) for query, texts in judged.items())
