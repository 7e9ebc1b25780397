"""Text normalisation and the feature strings the polarity model counts.

Char n-grams suit Chinese, which has no spaces, and survive typos and mixed scripts; whole English
words are added because char n-grams alone blur short English words together.
"""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 1000
"""Longer texts are cut: the first 1000 characters carry the verdict and the cut bounds the cost."""

NGRAM_MIN = 1
NGRAM_MAX = 4

WORD_PREFIX = "\nw:"
"""Marks whole-word features. Normalised text holds no newline, so no char n-gram can look like one."""

_SPACES = re.compile(r"\s+")
_ENGLISH_WORD = re.compile(r"[a-z][a-z']+")


def normalize_text(text: str) -> str:
    """Fold width and case and collapse whitespace.

    NFKC turns full-width ``！？ＡＢ１`` into ``!?ab1``, so Chinese and English punctuation count as one
    feature.

    Examples
    --------
    >>> normalize_text("  太好了！！ THANKS\\n ")
    '太好了!! thanks'
    """
    folded = unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower()
    return _SPACES.sub(" ", folded).strip()


def feature_strings(normalized: str) -> list[str]:
    """Char 1-4-grams of an already normalised text, plus ``WORD_PREFIX``-marked English words.

    Examples
    --------
    >>> feature_strings("不好")
    ['不', '好', '不好']
    >>> feature_strings("ok")[-1]
    '\\nw:ok'
    """
    n = len(normalized)
    grams = [
        normalized[start : start + size] for size in range(NGRAM_MIN, NGRAM_MAX + 1) for start in range(n - size + 1)
    ]
    grams.extend(english_word_features(normalized))
    return grams


def english_word_features(normalized: str) -> list[str]:
    """The ``WORD_PREFIX``-marked English words of a normalised text."""
    return [WORD_PREFIX + word for word in _ENGLISH_WORD.findall(normalized)]
