"""Labelled training data as Arrow tables: the one schema the retrain job reads, wherever rows come from.

``TRAINING_SCHEMA`` columns:

=============  ====================  ==========================================================================
column         type                  meaning
=============  ====================  ==========================================================================
``text``       string, required      the masked message text (what the model sees in the stream)
``label``      string, required      intent label, or polarity ``"1"``/``"0"``/``"positive"``/``"negative"``
``source``     string, required      ``base``, ``agent_correction``, ``analyst_correction``, ``agent_labelled``...
``example_id`` string, nullable      the corrected message's ``event_id`` (dedupe key), null for file rows
``tenant_id``  string, nullable      owning tenant, null for the shared base set
``ts``         timestamp[ms, UTC]    when the label was given, nullable
=============  ====================  ==========================================================================

Corrections come from ClickHouse (``jobs.retrain.store_data.CORRECTIONS_SQL``: ``feedback.message_id`` joined to the
masked event text) and go through :func:`training_table`, which drops empty rows and keeps the latest label of each
``example_id``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "TRAINING_SCHEMA",
    "examples_of",
    "held_out_bucket",
    "read_training_table",
    "stratified_split",
    "table_from_examples",
    "training_table",
]

TRAINING_SCHEMA = pa.schema(
    [
        pa.field("text", pa.string(), nullable=False),
        pa.field("label", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("example_id", pa.string()),
        pa.field("tenant_id", pa.string()),
        pa.field("ts", pa.timestamp("ms", tz="UTC")),
    ]
)


def _timestamp(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        # ClickHouse's DateTime64 comes back naive through the chdb backend (STACK.md): it is UTC.
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def training_table(rows: Iterable[Mapping[str, Any]], *, source: str | None = None) -> pa.Table:
    """Rows (``text``, ``label`` and optionally the other columns) as a table of :data:`TRAINING_SCHEMA`.

    Rows without text or label are dropped; of several rows with the same ``example_id`` the one with the latest
    ``ts`` wins (an agent who corrects a correction). ``source`` fills rows that do not name their own.

    >>> table = training_table([
    ...     {"example_id": "m1", "text": "直播间的券呢", "label": "coupon", "ts": 1000},
    ...     {"example_id": "m1", "text": "直播间的券呢", "label": "livestream_promo", "ts": 2000},
    ...     {"text": " ", "label": "coupon"},
    ... ], source="agent_correction")
    >>> table.num_rows, table.column("label").to_pylist(), table.column("source").to_pylist()
    (1, ['livestream_promo'], ['agent_correction'])
    """
    latest: dict[str, dict[str, Any]] = {}
    unkeyed: list[dict[str, Any]] = []
    for row in rows:
        text = "" if row.get("text") is None else str(row["text"]).strip()
        label = "" if row.get("label") is None else str(row["label"]).strip()
        if not text or not label:
            continue
        record: dict[str, Any] = {
            "text": text,
            "label": label,
            "source": str(row.get("source") or source or "unknown"),
            "example_id": None if row.get("example_id") is None else str(row["example_id"]),
            "tenant_id": None if row.get("tenant_id") is None else str(row["tenant_id"]),
            "ts": _timestamp(row.get("ts")),
        }
        key: str | None = record["example_id"]
        if key is None:
            unkeyed.append(record)
            continue
        kept = latest.get(key)
        stamp = record["ts"] or datetime.min.replace(tzinfo=UTC)
        if kept is None or stamp >= (kept["ts"] or datetime.min.replace(tzinfo=UTC)):
            latest[key] = record
    return pa.Table.from_pylist([*latest.values(), *unkeyed], schema=TRAINING_SCHEMA)


def table_from_examples(examples: Sequence[tuple[str, str | int]], *, source: str) -> pa.Table:
    """``(text, label)`` pairs (read by the processors' readers) as a training table."""
    return training_table(({"text": text, "label": str(label)} for text, label in examples), source=source)


def examples_of(table: pa.Table) -> list[tuple[str, str]]:
    """``(text, label)`` pairs of a training table, in row order."""
    return list(zip(table.column("text").to_pylist(), table.column("label").to_pylist(), strict=True))


def read_training_table(path: Path, *, source: str = "file") -> pa.Table:
    """A training table from Parquet (any superset of the schema's columns) or JSONL (``text``/``sentence``)."""
    if path.suffix == ".parquet":
        rows = pq.read_table(path).to_pylist()
    else:
        rows = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{path}:{number}: not JSON ({error.msg})") from error
                rows.append({**row, "text": row.get("text") or row.get("sentence")})
    return training_table(rows, source=source)


def held_out_bucket(text: str, *, seed: int) -> float:
    """A stable number in ``[0, 1)`` from the text itself and the seed."""
    digest = hashlib.sha256(f"kefu-retrain\x00{seed}\x00{text}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def stratified_split(
    examples: Sequence[tuple[str, str]], *, fraction: float, seed: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(train, held_out)``: a text is held out when its seeded hash bucket is below ``fraction``.

    Membership depends on the text and the seed only, not on the rest of the data, so every model the retrain
    job trains with the same seed and fraction has never seen any later held-out slice: comparing a candidate with
    the current registry version is fair. Stratified: each label keeps about ``fraction`` of its examples out,
    and a label with two or more examples but none below the bucket gives its lowest-bucket example.

    >>> data = [(f"t{i}", "a") for i in range(10)] + [(f"u{i}", "b") for i in range(5)] + [("v", "c")]
    >>> train, held_out = stratified_split(data, fraction=0.2, seed=0)
    >>> sorted(label for _, label in held_out), len(train)
    (['a', 'a', 'b'], 13)
    >>> set(held_out) <= set(stratified_split(data + [("w", "c")], fraction=0.2, seed=0)[1])
    True
    """
    if not 0 < fraction < 1:
        raise ValueError("fraction must be between 0 and 1")
    buckets = [held_out_bucket(text, seed=seed) for text, _ in examples]
    held = {index for index, bucket in enumerate(buckets) if bucket < fraction}
    by_label: dict[str, list[int]] = {}
    for index, (_, label) in enumerate(examples):
        by_label.setdefault(label, []).append(index)
    for indices in by_label.values():
        if len(indices) >= 2 and not held.intersection(indices):
            held.add(min(indices, key=lambda index: buckets[index]))
    train = [example for index, example in enumerate(examples) if index not in held]
    held_out = [example for index, example in enumerate(examples) if index in held]
    return train, held_out
