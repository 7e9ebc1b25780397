"""Extra relevance judgements for ``kefu eval retrieval``: questions a reader judged equivalent to a query.

AFQMC labels only the pairs it sampled. A knowledge base built from its ``sentence1`` values holds many other
paraphrases of a query, and ranking one of them first counts as a miss. A judgements file records, for audited
queries, a ``sentence1`` judged to ask the same question; the evaluation then also reports each stage with those
counted as relevant. Unaudited texts stay unjudged, so the judged figures are lower bounds.

The file names pairs by their 1-based line numbers in the pairs file and pins that file's sha256, so it holds no
data and refuses to be read against another file::

    {"pairs_sha256": "...", "queries": [{"query_line": 12, "equivalent_line": 40}, {"query_line": 7,
     "equivalent_line": null}]}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from jobs.eval_retrieval import PairsSet

#: The audit of AFQMC dev shipped with Kefu (docs/benchmarks.md, "Which misses are misses").
AFQMC_DEV_AUDIT = Path(__file__).resolve().parent / "afqmc_dev_audit.json"


class JudgementsError(ValueError):
    """The judgements file does not belong to the pairs file, or names a line that is not what it should be."""


def read_judgements(path: Path, pairs_bytes: bytes) -> dict[str, frozenset[str]]:
    """Query text -> the texts judged equivalent to it, resolved against the pairs file's bytes."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        expected, entries = str(document["pairs_sha256"]), list(document["queries"])
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as error:
        raise JudgementsError(f"{path}: not a judgements file ({error!r})") from None
    if hashlib.sha256(pairs_bytes).hexdigest() != expected:
        raise JudgementsError(f"{path} was written for another pairs file (sha256 {expected[:12]}...)")
    lines = pairs_bytes.decode("utf-8").splitlines()
    judged: dict[str, set[str]] = {}
    for entry in entries:
        query = _field(lines, entry.get("query_line"), "sentence2", path)
        equivalent_line = entry.get("equivalent_line")
        found = judged.setdefault(query, set())
        if equivalent_line is not None:
            found.add(_field(lines, equivalent_line, "sentence1", path))
    return {query: frozenset(texts) for query, texts in judged.items()}


def judged_relevance(pairs: PairsSet, judgements: dict[str, frozenset[str]]) -> list[frozenset[str]]:
    """Each query's labelled relevant texts plus those judged equivalent to it."""
    return [relevant | judgements.get(query, frozenset()) for query, relevant in pairs.queries]


def _field(lines: Sequence[str], number: object, name: str, path: Path) -> str:
    if not isinstance(number, int) or not 1 <= number <= len(lines):
        raise JudgementsError(f"{path}: line {number!r} is not a line of the pairs file")
    try:
        return str(json.loads(lines[number - 1])[name])
    except (json.JSONDecodeError, KeyError, TypeError):
        raise JudgementsError(f"{path}: line {number} of the pairs file has no {name}") from None
