"""Sparse TF-IDF features for short customer messages: character n-grams plus Latin words.

Character 1-3-grams need no word segmenter, so Chinese, typos and mixed Chinese/English all work with
one cheap code path (on CIC they matched jieba word n-grams within noise and are ~3x faster). Whole
Latin-script words are added because an English word ("refund") is stronger evidence than its
trigrams. Written by hand rather than with scikit-learn's vectoriser so the fitted state is three
plain arrays that can be saved without pickle.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix, csr_matrix

from processors.ngram_keys import KeyArray, batch_ngram_keys, term_keys
from processors.textnorm import normalize_text

__all__ = ["NgramFeaturizer"]

_LATIN_WORD = re.compile(r"[a-z][a-z']+")
_HAS_LATIN = re.compile(r"[a-z]")
_WORD_PREFIX = "\x00w:"  # cannot collide with a character n-gram of normalised text


def _terms(text: str, ngram_min: int, ngram_max: int) -> list[str]:
    """All features of one normalised text: character n-grams then Latin words."""
    terms: list[str] = []
    length = len(text)
    for size in range(ngram_min, ngram_max + 1):
        terms.extend(text[start : start + size] for start in range(length - size + 1))
    terms.extend(_WORD_PREFIX + word for word in _LATIN_WORD.findall(text))
    return terms


@dataclass(slots=True)
class NgramFeaturizer:
    """Maps texts to L2-normalised, sublinear-TF, IDF-weighted sparse rows.

    Parameters
    ----------
    vocabulary
        Term -> column index.
    idf
        Inverse document frequency per column (smoothed, as in scikit-learn).
    ngram_min, ngram_max
        Character n-gram sizes.

    Examples
    --------
    >>> featurizer = NgramFeaturizer.fit(["退货退款", "查询物流"], ngram_max=2)
    >>> matrix = featurizer.transform(["我要退货"])
    >>> matrix.shape[0], round(float((matrix.multiply(matrix)).sum()), 6)
    (1, 1.0)
    """

    vocabulary: dict[str, int]
    idf: npt.NDArray[np.float32]
    ngram_min: int = 1
    ngram_max: int = 3
    _sorted_keys: KeyArray = field(init=False, repr=False)
    _sorted_columns: npt.NDArray[np.int64] = field(init=False, repr=False)
    _word_columns: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Char n-grams are looked up as 64-bit keys (see processors.ngram_keys: ~3x faster than a dict of
        # strings); Latin words keep a small dict.
        grams = [(term, column) for term, column in self.vocabulary.items() if not term.startswith(_WORD_PREFIX)]
        keys = term_keys([term for term, _ in grams], self.ngram_min, self.ngram_max)
        order = np.argsort(keys, kind="stable")
        self._sorted_keys = keys[order]
        self._sorted_columns = np.asarray([column for _, column in grams], dtype=np.int64)[order]
        self._word_columns = {
            term.removeprefix(_WORD_PREFIX): column
            for term, column in self.vocabulary.items()
            if term.startswith(_WORD_PREFIX)
        }

    @classmethod
    def fit(cls, texts: Iterable[str], *, ngram_min: int = 1, ngram_max: int = 3, min_df: int = 1) -> NgramFeaturizer:
        """Learn the vocabulary and IDF weights from ``texts``."""
        document_frequency: Counter[str] = Counter()
        n_documents = 0
        for text in texts:
            document_frequency.update(set(_terms(normalize_text(text), ngram_min, ngram_max)))
            n_documents += 1
        # Sorted so the column order, and so the saved model, does not depend on hash seeds.
        kept = sorted(term for term, count in document_frequency.items() if count >= min_df)
        vocabulary = {term: index for index, term in enumerate(kept)}
        idf = np.array(
            [math.log((1 + n_documents) / (1 + document_frequency[term])) + 1.0 for term in kept],
            dtype=np.float32,
        )
        return cls(vocabulary=vocabulary, idf=idf, ngram_min=ngram_min, ngram_max=ngram_max)

    @property
    def n_features(self) -> int:
        """Number of columns produced by :meth:`transform`."""
        return len(self.vocabulary)

    def terms_in_order(self) -> list[str]:
        """Vocabulary terms listed by column index (the saved form)."""
        ordered = [""] * len(self.vocabulary)
        for term, index in self.vocabulary.items():
            ordered[index] = term
        return ordered

    def unseen_ngram_rate(self, texts: Sequence[str], *, size: int = 2) -> npt.NDArray[np.float64]:
        """Share of each text's character ``size``-grams that are not in the vocabulary (0 for no n-gram).

        A drift signal: text about something the model never saw is made of n-grams it never saw.

        >>> featurizer = NgramFeaturizer.fit(["退货退款"], ngram_max=2)
        >>> featurizer.unseen_ngram_rate(["退货", "直播退货", "好"]).round(3).tolist()
        [0.0, 0.667, 0.0]
        """
        if not self.ngram_min <= size <= self.ngram_max:
            raise ValueError(f"size must be within the featurizer's n-gram sizes {self.ngram_min}..{self.ngram_max}")
        keys, rows = batch_ngram_keys([normalize_text(text) for text in texts], size, size)
        totals = np.bincount(rows, minlength=len(texts))
        if len(self._sorted_keys):
            slots = np.searchsorted(self._sorted_keys, keys)
            slots[slots == len(self._sorted_keys)] = 0
            unseen_rows = rows[self._sorted_keys[slots] != keys]
        else:
            unseen_rows = rows
        unseen = np.bincount(unseen_rows, minlength=len(texts))
        return np.divide(unseen, totals, out=np.zeros(len(texts), dtype=np.float64), where=totals > 0)

    def transform(self, texts: Sequence[str]) -> csr_matrix:
        """Feature rows for ``texts``; unseen terms are ignored, an empty text is a zero row."""
        normalized = [normalize_text(text) for text in texts]
        keys, rows = batch_ngram_keys(normalized, self.ngram_min, self.ngram_max)
        if len(self._sorted_keys):
            slots = np.searchsorted(self._sorted_keys, keys)
            slots[slots == len(self._sorted_keys)] = 0
            known = self._sorted_keys[slots] == keys
            columns, rows = self._sorted_columns[slots[known]], rows[known]
        else:
            columns, rows = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        word_hits = [
            (row, column)
            for row, text in enumerate(normalized)
            if _HAS_LATIN.search(text)
            for column in map(self._word_columns.get, _LATIN_WORD.findall(text))
            if column is not None
        ]
        if word_hits:
            word_rows, word_columns = zip(*word_hits, strict=True)
            rows = np.concatenate([rows, np.asarray(word_rows, dtype=np.int64)])
            columns = np.concatenate([columns, np.asarray(word_columns, dtype=np.int64)])
        shape = (len(texts), self.n_features)
        # COO -> CSR sums repeated (row, column) pairs: that is the term count.
        counts = coo_matrix((np.ones(len(rows), dtype=np.float32), (rows, columns)), shape=shape).tocsr()
        counts.sort_indices()
        values = (1.0 + np.log(counts.data)) * self.idf[counts.indices]
        row_of_value = np.repeat(np.arange(len(texts)), np.diff(counts.indptr))
        norms = np.sqrt(np.bincount(row_of_value, weights=values * values, minlength=len(texts)))
        values /= np.where(norms > 0, norms, 1.0)[row_of_value].astype(np.float32)
        return csr_matrix((values.astype(np.float32), counts.indices, counts.indptr), shape=shape)
