"""PII masking: the first processor of the pipeline; nothing unmasked may leave it.

Typed, numbered placeholders replace phone numbers, resident IDs, bank cards, e-mail and IP addresses,
passports, licence plates, personal names and street addresses. Long numbers that are not valid
identifiers (order and tracking numbers, amounts, dates) are left alone.

Examples
--------
>>> mask_pii("手机+86 138 1234 5678，订单号2024052112345678").masked
'手机[PHONE_1]，订单号2024052112345678'
"""

from __future__ import annotations

from .entities import PII_TYPES, MaskResult, PiiEntity
from .masker import PiiMasker, mask_pii
from .pseudonyms import PSEUDONYM_PREFIX, IdentifierPseudonymizer, process_pseudonyms

__all__ = [
    "PII_TYPES",
    "PSEUDONYM_PREFIX",
    "IdentifierPseudonymizer",
    "MaskResult",
    "PiiEntity",
    "PiiMasker",
    "mask_pii",
    "process_pseudonyms",
]
