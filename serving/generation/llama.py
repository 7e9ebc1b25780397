"""LlamaGenerator: a GGUF model run in-process by llama-cpp-python (the embedded default).

llama.cpp's context is not thread-safe, so one lock serialises calls; a stream holds it until it is exhausted
or closed. Consecutive prompts sharing a prefix (the system prompt) reuse llama.cpp's KV cache for it. Given a
BF16 copy of the model, long prompts are evaluated by that copy and generation continues in the 4-bit model
(``serving.generation.prefill``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

from kefu.cores import available_cores
from serving.generation.chat_template import STOP, render_chatml
from serving.generation.cpu_kernels import load_llama, wants_extra_buffers
from serving.generation.prefill import Bf16Prefill, cpu_flags
from serving.protocols import ChatMessage, TokenUsage

# OpenMP threads that spin while idle steal the cores other replicas need (STACK.md); must precede the import.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
log = logging.getLogger(__name__)


class LlamaGenerator:
    """serving.protocols.Generator over a local GGUF file."""

    def __init__(
        self,
        model_path: Path,
        model_id: str,
        *,
        n_ctx: int = 4096,
        n_threads: int = 0,
        n_batch: int = 512,
        flash_attn: bool = True,
        seed: int = 0,
        prefill_path: Path | None = None,
        extra_buffers: bool | None = None,
    ) -> None:
        """``prefill_path``: a BF16 copy of the same model (``serving.models.ensure_bf16_gguf``) that evaluates
        long prompts; without it the GGUF at ``model_path`` does everything. ``extra_buffers``: whether llama.cpp
        may move weights into its AMX / repacked layouts (``serving.generation.cpu_kernels``); None decides by
        the CPU, as ``KEFU_LLM_EXTRA_BUFFERS=auto`` does."""
        if extra_buffers is None:
            extra_buffers = wants_extra_buffers("auto", cpu_flags())
        threads = min(n_threads or available_cores(), available_cores())
        self.model_id = model_id
        self.n_ctx = n_ctx
        self._lock = threading.Lock()
        options: dict[str, Any] = {
            "n_ctx": n_ctx,
            "n_threads": threads,
            "n_threads_batch": threads,
            "n_batch": n_batch,
            "n_ubatch": n_batch,  # one physical batch per prompt chunk: prompt evaluation is the TTFT
            "flash_attn": flash_attn,  # measured: 300-token prompt of the 1.5B 4.6 s -> 2.5 s on 2 cores
            "seed": seed,
            "verbose": False,
        }
        self._llama = load_llama(model_path, extra_buffers=extra_buffers, **options)
        self._prefill = _bf16_prefill(prefill_path, extra_buffers, options) if prefill_path is not None else None

    @property
    def prefills_in_bf16(self) -> bool:
        return self._prefill is not None

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def generate(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256, temperature: float = 0.2) -> str:
        return "".join(self.stream(messages, max_tokens=max_tokens, temperature=temperature))

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.2,
        usage: TokenUsage | None = None,
    ) -> Iterator[str]:
        with self._lock:
            yield from self._stream_locked(messages, max_tokens=max_tokens, temperature=temperature, usage=usage)

    def _stream_locked(
        self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float, usage: TokenUsage | None = None
    ) -> Iterator[str]:
        from llama_cpp import llama_perf_context_reset

        llama_perf_context_reset(self._llama.ctx)
        # tokenised as create_completion would tokenise the text, so a handed-over cache matches its prefix
        tokens = self._llama.tokenize(render_chatml(messages).encode("utf-8"), special=True)
        if usage is not None:  # known now: a consumer that stops early still learns what the prompt cost
            usage.prompt_tokens = len(tokens)
        if self._prefill is not None:
            self._prefill.reset_counters()
            if self._prefill.worth_it(self._llama, tokens):
                try:
                    self._prefill.hand_over(self._llama, tokens)
                except RuntimeError as error:  # the 4-bit model evaluates the whole prompt instead
                    log.warning("BF16 prompt evaluation not used for this prompt: %s", error)
        chunks = cast(
            Iterator[Any],
            self._llama.create_completion(
                tokens, max_tokens=max_tokens, temperature=temperature, stop=list(STOP), stream=True
            ),
        )
        pieces: list[str] = []
        try:
            for chunk in chunks:
                text: str = chunk["choices"][0]["text"]
                if text:
                    pieces.append(text)
                    yield text
        finally:  # also when the consumer closes the stream early: the tokens were spent
            if usage is not None:
                # the answer's own tokens, as an endpoint counts them (llama.cpp's chunks may merge tokens)
                answer = "".join(pieces).encode("utf-8")
                counted = self._llama.tokenize(answer, add_bos=False, special=True) if answer else []
                usage.completion_tokens = len(counted)

    def warm_up(self, messages: Sequence[ChatMessage]) -> dict[str, float]:
        """Evaluate ``messages`` once (one token generated) so a later prompt sharing their prefix reuses it; the
        weights are paged in on the way. Returns llama.cpp's counters for it."""
        with self._lock:  # the counters must be this call's, not a request's that slipped in between
            for _ in self._stream_locked(messages, max_tokens=1, temperature=0.0):
                pass
            return self.last_timings()

    def last_timings(self) -> dict[str, float]:
        """llama.cpp's counters for the last call: prompt tokens evaluated (the part not reused from the KV
        cache) and their milliseconds, tokens generated and theirs; of the prompt's, those the BF16 copy
        evaluated (``prefill_*``, hand-over included).

        Reset at each :meth:`stream`, so they describe that call once its stream is exhausted.
        """
        from llama_cpp import llama_perf_context

        data = llama_perf_context(self._llama.ctx)
        prefill_tokens = self._prefill.tokens_evaluated if self._prefill is not None else 0
        prefill_ms = self._prefill.eval_ms if self._prefill is not None else 0.0
        return {
            "prompt_tokens_evaluated": int(data.n_p_eval) + prefill_tokens,
            "prompt_eval_ms": round(float(data.t_p_eval_ms) + prefill_ms, 1),
            "prefill_tokens_evaluated": prefill_tokens,
            "prefill_ms": round(prefill_ms, 1),
            "generated_tokens": int(data.n_eval),
            "generation_ms": round(float(data.t_eval_ms), 1),
        }

    def healthy(self) -> bool:
        """Cheap liveness: the model answers a tokenisation (the lock is not taken while generating)."""
        return len(self._llama.tokenize(b"ok", add_bos=False)) > 0


def _bf16_prefill(path: Path, extra_buffers: bool, options: dict[str, Any]) -> Bf16Prefill | None:
    """The BF16 copy, or None (the 4-bit model evaluates prompts itself) if llama.cpp cannot load it."""
    try:
        return Bf16Prefill(path, extra_buffers=extra_buffers, **options)
    except (ValueError, OSError) as error:  # llama-cpp-python raises ValueError for a file it cannot load
        log.warning("BF16 copy %s not loaded, prompts are evaluated in 4 bits: %s", path, error)
        return None
