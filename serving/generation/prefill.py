"""Prompt evaluation in BF16, generation in 4 bits: one model's two formats, each where it is fastest.

Evaluating a prompt is compute-bound, and CPUs with BF16 dot products (AVX512-BF16, AMX) multiply BF16 weights
faster than they unpack 4-bit blocks. Generating is memory-bound: each token reads every weight once, and the
4-bit file is a third of the size. So a long prompt (all but its last token) is evaluated by a BF16 copy of the
model, its KV cache is copied into the 4-bit model's context, and the 4-bit model evaluates the last token and
generates as before. Both formats hold the same weights (the BF16 copy is the 4-bit values widened), so the KV
cache is the same up to rounding.

Short suffixes stay with the 4-bit model: below ~32 new tokens the BF16 pass is no faster (measured, 1.5B).
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

MIN_TOKENS = 32
"""The fewest uncached prompt tokens worth evaluating in BF16 (measured crossover, 1.5B on 2 cores)."""
BF16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
PrefillMode = Literal["auto", "bf16", "off"]


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU's feature flags as Linux lists them (empty elsewhere)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def wants_bf16_prefill(mode: PrefillMode, flags: frozenset[str]) -> bool:
    """``auto``: only where the CPU has BF16 dot products (elsewhere BF16 is emulated and slower) and reports no
    AMX: on the AMX Xeon of 2026-11-23 the BF16 copy took 5.25 s for a 300-token prompt of the 1.5B against 2.42 s
    for the 4-bit model alone (``kefu bench serving``; the 4-bit model in plain buffers, ``cpu_kernels``)."""
    from serving.generation.cpu_kernels import AMX_CPU_FLAGS

    return mode == "bf16" or (mode == "auto" and bool(flags & BF16_CPU_FLAGS) and not flags & AMX_CPU_FLAGS)


def common_prefix(cached: Iterable[int], tokens: Iterable[int]) -> int:
    """How many leading tokens two token sequences share.

    >>> common_prefix([1, 2, 3], [1, 2, 4, 5])
    2
    """
    shared = 0
    for a, b in zip(cached, tokens, strict=False):
        if a != b:
            break
        shared += 1
    return shared


class Bf16Prefill:
    """A BF16 copy of a model that evaluates prompts for a quantised ``Llama`` and hands over their KV cache.

    Not thread-safe: the owning generator calls it under its lock. Keeps its own KV cache, so a prompt sharing a
    prefix with the previous one (the responder's system message) evaluates only the rest here too.
    """

    def __init__(self, model_path: Path, *, extra_buffers: bool, **llama_kwargs: Any) -> None:
        from serving.generation.cpu_kernels import load_llama

        self._llama = load_llama(model_path, extra_buffers=extra_buffers, **llama_kwargs)
        self.tokens_evaluated = 0
        self.eval_ms = 0.0

    def worth_it(self, target: Any, tokens: Sequence[int]) -> bool:
        """True if ``target`` (a ``Llama``) would evaluate at least MIN_TOKENS of ``tokens`` itself."""
        uncached = len(tokens) - 1 - common_prefix(target.input_ids[: target.n_tokens], tokens)
        return uncached >= MIN_TOKENS and len(tokens) < target.n_ctx()

    def hand_over(self, target: Any, tokens: Sequence[int]) -> None:
        """Evaluate all but the last of ``tokens`` here and leave ``target`` holding their KV cache, as if it had
        evaluated them itself: its next ``generate(tokens)`` evaluates only the last token."""
        import llama_cpp

        started = time.perf_counter()
        prompt = list(tokens[:-1])
        llama = self._llama
        reused = common_prefix(llama.input_ids[: llama.n_tokens], prompt)
        llama.n_tokens = reused  # eval() drops the KV cache past n_tokens before it decodes
        llama.eval(prompt[reused:])
        size = llama_cpp.llama_state_seq_get_size(llama.ctx, 0)
        state = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(llama.ctx, state, size, 0)
        llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(target.ctx), -1, 0, -1)
        if llama_cpp.llama_state_seq_set_data(target.ctx, state, written, 0) != written:
            target.n_tokens = 0  # nothing usable is cached: the target evaluates the whole prompt itself
            raise RuntimeError("llama.cpp refused the BF16 prompt's KV cache")
        target.input_ids[: len(prompt)] = prompt
        target.n_tokens = len(prompt)
        self.tokens_evaluated += len(prompt) - reused
        self.eval_ms += (time.perf_counter() - started) * 1000

    def reset_counters(self) -> None:
        self.tokens_evaluated = 0
        self.eval_ms = 0.0
