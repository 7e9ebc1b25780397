"""Text normalisation shared by the text classifiers (intent, sentiment).

Customer messages mix full-width and half-width forms, upper and lower case, and order numbers or
prices whose exact digits say nothing about what the customer wants. Normalising them the same way
at training and prediction time lets a small model generalise across these surface variants.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize_text"]

_DIGIT_RUN = re.compile(r"\d+")
_WHITESPACE_RUN = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Return ``text`` in the canonical form the classifiers see.

    NFKC folds full-width letters, digits and punctuation to their half-width forms, case is
    lowered, every run of digits becomes ``0`` (an order number is evidence of "an order number",
    not of its value) and whitespace runs collapse to one space.

    Parameters
    ----------
    text
        Raw message text.

    Returns
    -------
    str
        The normalised text.

    Examples
    --------
    >>> normalize_text("ＡＢＣ  订单１２３４５ 到哪了？")
    'abc 订单0 到哪了?'
    """
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = _DIGIT_RUN.sub("0", folded)
    return _WHITESPACE_RUN.sub(" ", folded).strip()
