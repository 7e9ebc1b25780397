"""Overlap resolution and placeholder numbering: deterministic, independent of detector order."""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from .entities import Candidate, PiiEntity


def resolve_overlaps(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Keep a non-overlapping subset: longer spans first, then higher priority, then earlier start.

    Examples
    --------
    >>> a = Candidate("PHONE", 0, 11, "k", 70)
    >>> b = Candidate("EMAIL", 0, 18, "k", 95)
    >>> resolve_overlaps([a, b]) == [b]
    True
    """
    ordered = sorted(set(candidates), key=lambda c: (c.start - c.end, -c.priority, c.start, c.type))
    # Kept spans never overlap, so sorted by start their neighbours are the only possible conflicts:
    # O(n log n) instead of comparing with every kept span (100k-char texts hold thousands).
    starts: list[int] = []
    kept: list[Candidate] = []
    for candidate in ordered:
        index = bisect.bisect_left(starts, candidate.start)
        if index > 0 and kept[index - 1].end > candidate.start:
            continue
        if index < len(kept) and kept[index].start < candidate.end:
            continue
        starts.insert(index, candidate.start)
        kept.insert(index, candidate)
    return kept


def number_entities(chosen: list[Candidate]) -> list[PiiEntity]:
    """Give each entity a typed placeholder; equal keys of one type share a number, in text order.

    Examples
    --------
    >>> spans = [Candidate("PHONE", 0, 3, "1", 70), Candidate("PHONE", 5, 8, "2", 70),
    ...          Candidate("PHONE", 9, 12, "1", 70)]
    >>> [e.placeholder for e in number_entities(spans)]
    ['[PHONE_1]', '[PHONE_2]', '[PHONE_1]']
    """
    numbers: dict[tuple[str, str], int] = {}
    counts: dict[str, int] = {}
    entities: list[PiiEntity] = []
    for candidate in chosen:
        slot = (candidate.type, candidate.key)
        if slot not in numbers:
            counts[candidate.type] = counts.get(candidate.type, 0) + 1
            numbers[slot] = counts[candidate.type]
        placeholder = f"[{candidate.type}_{numbers[slot]}]"
        entities.append(PiiEntity(candidate.type, candidate.start, candidate.end, placeholder))
    return entities


def apply_placeholders(text: str, entities: list[PiiEntity]) -> str:
    """Replace each (non-overlapping, sorted) entity span in ``text`` with its placeholder.

    Examples
    --------
    >>> apply_placeholders("call 123 now", [PiiEntity("PHONE", 5, 8, "[PHONE_1]")])
    'call [PHONE_1] now'
    """
    parts: list[str] = []
    cursor = 0
    for entity in entities:
        parts.append(text[cursor : entity.start])
        parts.append(entity.placeholder)
        cursor = entity.end
    parts.append(text[cursor:])
    return "".join(parts)
