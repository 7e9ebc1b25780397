"""Length-preserving normalisation so that detectors see ASCII digits and punctuation.

Full-width forms (U+FF01..U+FF5E, the ideographic space and a few dashes) map one character to one
character, so every offset found in the normalised text is also an offset in the original text. NFKC is
deliberately not used: it can change the length of a string and would break the offsets.
"""

from __future__ import annotations

_FULLWIDTH_OFFSET = 0xFF01 - 0x21

_TABLE: dict[int, int] = {code: code - _FULLWIDTH_OFFSET for code in range(0xFF01, 0xFF5F)}
_TABLE[0x3000] = ord(" ")  # ideographic space
for _dash in ("\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212"):
    _TABLE[ord(_dash)] = ord("-")
_TABLE[0x00A0] = ord(" ")  # no-break space


def normalize_for_detection(text: str) -> str:
    """Map full-width characters to ASCII without changing the length.

    Examples
    --------
    >>> normalize_for_detection("电话：１３８１２３４５６７８")
    '电话:13812345678'
    >>> len(normalize_for_detection("ＡＢＣ　１")) == len("ＡＢＣ　１")
    True
    """
    return text.translate(_TABLE)
