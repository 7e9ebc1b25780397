"""The value types of PII masking: what was found, where, and what replaced it.

Offsets always refer to the ORIGINAL text so that callers can evaluate against gold spans; the detected
value itself is never stored on a public object, so a ``MaskResult`` can be logged or sent anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

PII_TYPES: tuple[str, ...] = (
    "PHONE",
    "ID_CARD",
    "BANK_CARD",
    "EMAIL",
    "IP",
    "PASSPORT",
    "PLATE",
    "NAME",
    "ADDRESS",
)
"""Every entity type the masker can emit, in placeholder-name form."""

STRUCTURED_TYPES: frozenset[str] = frozenset(PII_TYPES) - {"NAME", "ADDRESS"}
"""Types found by patterns plus validators (as opposed to cue-based name/address rules)."""


@dataclass(frozen=True, slots=True)
class PiiEntity:
    """One masked span.

    Parameters
    ----------
    type
        One of :data:`PII_TYPES`.
    start, end
        Half-open character offsets into the original text.
    placeholder
        The token that replaced the span, e.g. ``"[PHONE_1]"``.

    Examples
    --------
    >>> PiiEntity("PHONE", 3, 14, "[PHONE_1]")
    PiiEntity(type='PHONE', start=3, end=14, placeholder='[PHONE_1]')
    """

    type: str
    start: int
    end: int
    placeholder: str


@dataclass(frozen=True, slots=True)
class MaskResult:
    """The masked text and the entities that were replaced, in text order."""

    masked: str
    entities: tuple[PiiEntity, ...]


class Candidate(NamedTuple):
    """A detector's proposal before overlap resolution (internal; holds a canonical key, not for export).

    ``key`` is a normalised form of the value (digits only, lower-cased, ...) used solely to give equal
    values the same placeholder number; ``priority`` breaks ties between equally long overlapping spans.
    """

    type: str
    start: int
    end: int
    key: str
    priority: int
