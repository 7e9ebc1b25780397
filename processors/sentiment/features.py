"""Sublinear TF-IDF over char n-grams, with a vocabulary that can be written as plain JSON.

scikit-learn is used to build the vocabulary when training; turning texts into vectors is done here
with numpy and scipy only, so predicting needs no scikit-learn and a saved model is data, not a pickle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from processors.sentiment.text import feature_strings, normalize_text

FloatArray = npt.NDArray[np.float32]


def _weight(counts: sparse.csr_matrix, idf: FloatArray) -> sparse.csr_matrix:
    """``(1 + log tf) * idf``, then each row scaled to unit length.

    Sublinear tf stops a review that repeats "好好好好" from outweighing one clear sentence.
    """
    weighted = counts.astype(np.float32)
    weighted.data = (1.0 + np.log(weighted.data)) * idf[weighted.indices]
    squares = weighted.multiply(weighted).sum(axis=1)
    norms = np.sqrt(np.asarray(squares, dtype=np.float32).ravel())
    norms[norms == 0.0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms).dot(weighted))


@dataclass(slots=True)
class NgramTfidf:
    """A fitted vocabulary (feature string -> column) and its inverse document frequencies."""

    vocabulary: dict[str, int]
    idf: FloatArray

    @classmethod
    def fit(cls, texts: Sequence[str], *, min_df: int = 2) -> tuple[NgramTfidf, sparse.csr_matrix]:
        """Learn the vocabulary from ``texts`` and return it with their weighted vectors.

        Features seen in fewer than ``min_df`` documents are dropped: on 80k reviews that halves the
        vocabulary without costing accuracy. When there are too few texts for that to leave anything,
        every feature is kept.
        """
        # Imported here: only training needs scikit-learn, and importing it costs ~1 s at worker start.
        from sklearn.feature_extraction.text import CountVectorizer  # noqa: PLC0415

        normalized = [normalize_text(text) for text in texts]
        effective_min_df = min_df if len(normalized) >= 10 * min_df else 1
        counter = CountVectorizer(analyzer=feature_strings, min_df=effective_min_df, dtype=np.float32)
        counts = sparse.csr_matrix(counter.fit_transform(normalized))
        vocabulary = {term: int(column) for term, column in counter.vocabulary_.items()}
        doc_freq = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float32)
        # Smoothed idf, as if one extra document held every feature: no zero division, no negative idf.
        idf = (np.log((1.0 + counts.shape[0]) / (1.0 + doc_freq)) + 1.0).astype(np.float32)
        featurizer = cls(vocabulary=vocabulary, idf=idf)
        return featurizer, _weight(counts, idf)

    @property
    def size(self) -> int:
        """Number of columns of the vectors."""
        return len(self.idf)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Weighted vectors of ``texts``: one row each; unknown features are ignored."""
        lookup = self.vocabulary.get
        columns: list[int] = []
        row_ends = [0]
        for text in texts:
            columns.extend(
                column for column in map(lookup, feature_strings(normalize_text(text))) if column is not None
            )
            row_ends.append(len(columns))
        indices = np.asarray(columns, dtype=np.int32)
        ones = np.ones(len(indices), dtype=np.float32)
        counts = sparse.csr_matrix(
            (ones, indices, np.asarray(row_ends, dtype=np.int64)), shape=(len(texts), self.size)
        )
        counts.sum_duplicates()
        return _weight(counts, self.idf)

    def terms(self) -> list[str]:
        """The vocabulary as a list ordered by column, the form it is saved in."""
        ordered = [""] * len(self.vocabulary)
        for term, column in self.vocabulary.items():
            ordered[column] = term
        return ordered

    @classmethod
    def from_terms(cls, terms: Sequence[str], idf: FloatArray) -> NgramTfidf:
        """Rebuild from :meth:`terms` and the saved idf."""
        if len(terms) != len(idf):
            raise ValueError(f"vocabulary has {len(terms)} terms but idf has {len(idf)} values")
        return cls(vocabulary={term: column for column, term in enumerate(terms)}, idf=idf)
