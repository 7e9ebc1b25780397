"""Splitting a message into the clauses that may each carry their own intent.

A message such as "我要退货，另外发票怎么开" asks two things. A single softmax over the whole message
gives almost all its mass to one of them, so the other intent is found by classifying each clause
on its own; the whole message still decides the best label.
"""

from __future__ import annotations

import re

__all__ = ["split_clauses"]

_CLAUSE_BREAK = re.compile(
    r"[，,。.;；!！?？\n]+|另外|还有|顺便|然后|而且|并且|\band also\b|\balso\b|\band\b|\bplus\b",
    flags=re.IGNORECASE,
)
_MIN_CLAUSE_CHARS = 2


def split_clauses(text: str) -> list[str]:
    """Clauses of ``text`` with at least two characters; ``[]`` when there is only one clause.

    Examples
    --------
    >>> split_clauses("我要退货，另外发票怎么开")
    ['我要退货', '发票怎么开']
    >>> split_clauses("快递到哪了")
    []
    """
    parts = [part.strip() for part in _CLAUSE_BREAK.split(text)]
    clauses = [part for part in parts if len(part) >= _MIN_CLAUSE_CHARS]
    return clauses if len(clauses) > 1 else []
