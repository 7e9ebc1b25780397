"""The PII masker: runs the detectors, resolves overlaps and writes numbered placeholders."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from .addresses import find_addresses
from .entities import PII_TYPES, Candidate, MaskResult
from .identifiers import find_emails, find_ip_addresses, find_passports, find_plates
from .names import find_names
from .normalize import normalize_for_detection
from .numbers import find_bank_cards, find_id_cards, find_phones
from .resolve import apply_placeholders, number_entities, resolve_overlaps

Detector = Callable[[str], list[Candidate]]

_NON_DIGIT = re.compile(r"\D+")
# Detectors run only on text with at least as many digits (``\d``, as in their patterns) as the shortest value
# they can report holds: a phone has 8 or more (E.164 minimum; mobiles 11), a card 13, a resident ID 15, a
# passport 6. Most messages hold none or a few (a quantity, a time), so most detectors are skipped.
_DIGIT_DETECTORS: tuple[tuple[str, int, Detector], ...] = (
    ("PHONE", 8, find_phones),
    ("ID_CARD", 15, find_id_cards),
    ("BANK_CARD", 13, find_bank_cards),
    ("IP", 1, find_ip_addresses),
    ("PASSPORT", 6, find_passports),
    ("PLATE", 1, find_plates),
)
_OTHER_DETECTORS: tuple[tuple[str, Detector], ...] = (("EMAIL", find_emails),)


class PiiMasker:
    """Replace personal data with typed, numbered placeholders.

    The masker holds only immutable configuration, so one instance can be shared by threads.

    Parameters
    ----------
    types
        Entity types to mask (default: all of :data:`PII_TYPES`). Unknown names raise ``ValueError``.
    detect_names, detect_addresses
        Switch the rule-based name and address detectors on or off (they also need their type in
        ``types``).

    Examples
    --------
    >>> masker = PiiMasker()
    >>> masker.mask("我叫张伟，电话13812345678，再说一遍138-1234-5678").masked
    '我叫[NAME_1]，电话[PHONE_1]，再说一遍[PHONE_1]'
    >>> PiiMasker(types=["EMAIL"]).mask("a@b.cn 13812345678").masked
    '[EMAIL_1] 13812345678'
    """

    __slots__ = ("_digit_detectors", "_other_detectors", "types")

    def __init__(
        self,
        *,
        types: Iterable[str] | None = None,
        detect_names: bool = True,
        detect_addresses: bool = True,
    ) -> None:
        selected = frozenset(PII_TYPES if types is None else types)
        unknown = selected - frozenset(PII_TYPES)
        if unknown:
            raise ValueError(f"unknown PII types: {sorted(unknown)}; expected some of {PII_TYPES}")
        if not detect_names:
            selected -= {"NAME"}
        if not detect_addresses:
            selected -= {"ADDRESS"}
        self.types: frozenset[str] = selected
        self._digit_detectors = tuple((least, fn) for name, least, fn in _DIGIT_DETECTORS if name in selected)
        others = [fn for name, fn in _OTHER_DETECTORS if name in selected]
        if "NAME" in selected:
            others.append(find_names)
        if "ADDRESS" in selected:
            others.append(find_addresses)
        self._other_detectors = tuple(others)

    def candidates(self, text: str) -> list[Candidate]:
        """All detector proposals for ``text`` before overlap resolution (offsets into ``text``)."""
        normalized = normalize_for_detection(text)
        found: list[Candidate] = []
        digits = len(_NON_DIGIT.sub("", normalized)) if self._digit_detectors else 0
        if digits:
            for least_digits, detector in self._digit_detectors:
                if digits >= least_digits:
                    found.extend(detector(normalized))
        for detector in self._other_detectors:
            found.extend(detector(normalized))
        return found

    def mask(self, text: str) -> MaskResult:
        """Mask one text; entity offsets refer to ``text`` itself."""
        if not text:
            return MaskResult(text, ())
        entities = number_entities(resolve_overlaps(self.candidates(text)))
        if not entities:
            return MaskResult(text, ())
        return MaskResult(apply_placeholders(text, entities), tuple(entities))

    def mask_batch(self, texts: Sequence[str]) -> list[MaskResult]:
        """Mask each text independently (placeholder numbers restart for every text)."""
        return [self.mask(text) for text in texts]


_DEFAULT_MASKER = PiiMasker()


def mask_pii(text: str) -> MaskResult:
    """Mask every supported PII type in ``text`` with the default configuration.

    Examples
    --------
    >>> result = mask_pii("邮箱 li@example.com，身份证11010519491231002X")
    >>> result.masked
    '邮箱 [EMAIL_1]，身份证[ID_CARD_1]'
    >>> [(e.type, e.start, e.end) for e in result.entities]
    [('EMAIL', 3, 17), ('ID_CARD', 21, 39)]
    """
    return _DEFAULT_MASKER.mask(text)
