"""64-bit keys of char n-grams, computed for a whole batch of texts at once with numpy.

Looking every n-gram string up in a Python dict of a million entries is what limits speed (hashing each new
substring and a cache miss per probe: ~4,500 reviews/s on one core). Here each n-gram becomes a 64-bit
integer computed from its code points with array arithmetic, and the vocabulary is a sorted key array
searched with ``np.searchsorted``. Two different n-grams share a key with probability ~2^-64 per pair;
:func:`term_keys` refuses a vocabulary in which that happened.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

KeyArray = npt.NDArray[np.uint64]
IndexArray = npt.NDArray[np.int64]

_MULTIPLIER = np.uint64(0x100000001B3)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def _finalize(keys: KeyArray) -> KeyArray:
    # splitmix64's finaliser: spreads the polynomial hash over all 64 bits. uint64 arithmetic wraps.
    keys = keys ^ (keys >> np.uint64(30))
    keys = keys * _MIX_1
    keys = keys ^ (keys >> np.uint64(27))
    keys = keys * _MIX_2
    return keys ^ (keys >> np.uint64(31))


def _code_points(joined: str) -> KeyArray:
    return np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def batch_ngram_keys(texts: Sequence[str], ngram_min: int, ngram_max: int) -> tuple[KeyArray, IndexArray]:
    """Keys of every char n-gram (sizes ``ngram_min..ngram_max``) of each text, and the text each came from.

    Examples
    --------
    >>> keys, rows = batch_ngram_keys(["不好", "a"], 1, 4)
    >>> rows.tolist()
    [0, 0, 1, 0]
    >>> bool(keys[3] == term_keys(["不好"], 1, 4)[0])
    True
    """
    lengths = np.fromiter((len(text) for text in texts), dtype=np.int64, count=len(texts))
    codes = _code_points("".join(texts))
    ends = np.cumsum(lengths)
    rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    positions = np.arange(len(codes), dtype=np.int64)
    row_ends = ends[rows]
    all_keys: list[KeyArray] = []
    all_rows: list[IndexArray] = []
    with np.errstate(over="ignore"):
        for size in range(ngram_min, ngram_max + 1):
            starts = positions[positions + size <= row_ends]
            keys = np.full(len(starts), size, dtype=np.uint64)
            for offset in range(size):
                keys = keys * _MULTIPLIER + codes[starts + offset]
            all_keys.append(_finalize(keys))
            all_rows.append(rows[starts])
    return np.concatenate(all_keys), np.concatenate(all_rows)


def term_keys(terms: Sequence[str], ngram_min: int, ngram_max: int) -> KeyArray:
    """The key :func:`batch_ngram_keys` gives each n-gram string, in the order given."""
    if any(not ngram_min <= len(term) <= ngram_max for term in terms):
        raise ValueError(f"char n-gram terms must have {ngram_min}..{ngram_max} characters")
    keys = np.zeros(len(terms), dtype=np.uint64)
    lengths = np.fromiter((len(term) for term in terms), dtype=np.int64, count=len(terms))
    with np.errstate(over="ignore"):
        for size in range(ngram_min, ngram_max + 1):
            where = np.flatnonzero(lengths == size)
            if len(where) == 0:
                continue
            codes = _code_points("".join(terms[int(i)] for i in where)).reshape(len(where), size)
            sized = np.full(len(where), size, dtype=np.uint64)
            for offset in range(size):
                sized = sized * _MULTIPLIER + codes[:, offset]
            keys[where] = _finalize(sized)
    if len(np.unique(keys)) != len(keys):
        raise ValueError("two vocabulary n-grams share a 64-bit key; rename or drop one")
    return keys
