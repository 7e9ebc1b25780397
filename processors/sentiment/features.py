"""Sublinear TF-IDF over char n-grams, with a vocabulary that can be written as plain JSON.

scikit-learn builds the vocabulary when training; turning texts into vectors is done here with numpy and
scipy only (see :mod:`.ngram_keys` for why the lookup is done on integer keys), so predicting needs no
scikit-learn and a saved model is data, not a pickle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import sparse

from processors.ngram_keys import IndexArray, KeyArray, batch_ngram_keys, term_keys
from processors.sentiment.text import (
    NGRAM_MAX,
    NGRAM_MIN,
    WORD_PREFIX,
    english_word_features,
    feature_strings,
    normalize_text,
)

FloatArray = npt.NDArray[np.float32]


def _weight(counts: sparse.csr_matrix, idf: FloatArray) -> sparse.csr_matrix:
    """``(1 + log tf) * idf``, then each row scaled to unit length.

    Sublinear tf stops a review that repeats "好好好好" from outweighing one clear sentence.
    """
    weighted = counts.astype(np.float32)
    weighted.data = (1.0 + np.log(weighted.data)) * idf[weighted.indices]
    return unit_rows(weighted)


def unit_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Each row scaled to unit Euclidean length (empty rows stay empty)."""
    squares = matrix.multiply(matrix).sum(axis=1)
    norms = np.sqrt(np.asarray(squares, dtype=np.float32).ravel())
    norms[norms == 0.0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms).dot(matrix), dtype=np.float32)


@dataclass(slots=True)
class NgramTfidf:
    """A fitted vocabulary (feature string -> column) and its inverse document frequencies."""

    vocabulary: dict[str, int]
    idf: FloatArray
    _sorted_keys: KeyArray = field(init=False, repr=False)
    _sorted_columns: IndexArray = field(init=False, repr=False)
    _word_columns: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.vocabulary) != len(self.idf):
            raise ValueError(f"vocabulary has {len(self.vocabulary)} terms but idf has {len(self.idf)} values")
        self._word_columns = {term: column for term, column in self.vocabulary.items() if term.startswith(WORD_PREFIX)}
        grams = [(term, column) for term, column in self.vocabulary.items() if not term.startswith(WORD_PREFIX)]
        keys = term_keys([term for term, _ in grams], NGRAM_MIN, NGRAM_MAX)
        order = np.argsort(keys)
        self._sorted_keys = keys[order]
        self._sorted_columns = np.asarray([column for _, column in grams], dtype=np.int64)[order]

    @classmethod
    def fit(cls, texts: Sequence[str], *, min_df: int = 2) -> tuple[NgramTfidf, sparse.csr_matrix]:
        """Learn the vocabulary from ``texts`` and return it with their weighted vectors.

        Features seen in fewer than ``min_df`` documents are dropped: on 80k reviews that halves the
        vocabulary without costing accuracy. When there are too few texts for that to leave anything,
        every feature is kept.
        """
        # Imported here: only training needs scikit-learn, and importing it costs ~1 s at worker start.
        from sklearn.feature_extraction.text import CountVectorizer

        normalized = [normalize_text(text) for text in texts]
        effective_min_df = min_df if len(normalized) >= 10 * min_df else 1
        counter = CountVectorizer(analyzer=feature_strings, min_df=effective_min_df, dtype=np.float32)
        counts = sparse.csr_matrix(counter.fit_transform(normalized))
        vocabulary = {term: int(column) for term, column in counter.vocabulary_.items()}
        doc_freq = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float32)
        # Smoothed idf, as if one extra document held every feature: no zero division, no negative idf.
        idf = (np.log((1.0 + counts.shape[0]) / (1.0 + doc_freq)) + 1.0).astype(np.float32)
        return cls(vocabulary=vocabulary, idf=idf), _weight(counts, idf)

    @property
    def size(self) -> int:
        """Number of columns of the vectors."""
        return len(self.idf)

    def _counts(self, normalized: Sequence[str]) -> sparse.csr_matrix:
        keys, rows = batch_ngram_keys(normalized, NGRAM_MIN, NGRAM_MAX)
        slots = np.searchsorted(self._sorted_keys, keys)
        slots[slots == len(self._sorted_keys)] = 0
        known = self._sorted_keys[slots] == keys if len(self._sorted_keys) else np.zeros(len(keys), bool)
        columns = self._sorted_columns[slots[known]]
        rows = rows[known]
        if self._word_columns:
            lookup = self._word_columns.get
            word_hits = [
                (row, column)
                for row, text in enumerate(normalized)
                for column in map(lookup, english_word_features(text))
                if column is not None
            ]
            if word_hits:
                word_rows, word_columns = zip(*word_hits, strict=True)
                rows = np.concatenate([rows, np.asarray(word_rows, dtype=np.int64)])
                columns = np.concatenate([columns, np.asarray(word_columns, dtype=np.int64)])
        ones = np.ones(len(rows), dtype=np.float32)
        # COO -> CSR sums repeated (row, column) pairs: that is the term count.
        return sparse.csr_matrix(sparse.coo_matrix((ones, (rows, columns)), shape=(len(normalized), self.size)).tocsr())

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Weighted vectors of ``texts``: one row each; unknown features are ignored."""
        return self.transform_normalized([normalize_text(text) for text in texts])

    def transform_normalized(self, normalized: Sequence[str]) -> sparse.csr_matrix:
        """:meth:`transform` of texts already passed through :func:`normalize_text`."""
        return _weight(self._counts(normalized), self.idf)

    def select(self, columns: Sequence[int] | IndexArray) -> NgramTfidf:
        """A featurizer keeping only ``columns`` (in ascending order), renumbered from 0.

        Its vectors equal ``unit_rows(vectors[:, columns])`` of this one's: the idf weights are per
        column and the row length is recomputed.
        """
        kept = np.unique(np.asarray(columns, dtype=np.int64))
        terms = self.terms()
        return NgramTfidf.from_terms([terms[column] for column in kept], self.idf[kept])

    def terms(self) -> list[str]:
        """The vocabulary as a list ordered by column, the form it is saved in."""
        ordered = [""] * len(self.vocabulary)
        for term, column in self.vocabulary.items():
            ordered[column] = term
        return ordered

    @classmethod
    def from_terms(cls, terms: Sequence[str], idf: FloatArray) -> NgramTfidf:
        """Rebuild from :meth:`terms` and the saved idf."""
        return cls(vocabulary={term: column for column, term in enumerate(terms)}, idf=idf)
