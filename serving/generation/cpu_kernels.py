"""Loading a GGUF model with or without llama.cpp's extra CPU weight layouts (AMX tiles, repacked blocks).

llama.cpp moves a model's weights into "extra" buffer types where the CPU has special kernels for them: AMX
tiles on Xeons that report AMX, interleaved (repacked) blocks on AVX2 / AVX-512. On the Xeon this was found on
(2026-11-23: ``amx_tile``, ``amx_int8`` and ``amx_bf16`` reported, llama-cpp-python 0.3.36 built natively) the AMX
matrix product crashed the process on the first decode (SIGSEGV in ``ggml_backend_amx_mul_mat``) whatever the thread
count or attention kernel, while the same model in plain CPU buffers answered normally. So ``auto``
(``KEFU_LLM_EXTRA_BUFFERS``) keeps the extra layouts off on CPUs that report AMX and on everywhere else;
``on`` and ``off`` force them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from llama_cpp import Llama

__all__ = ["AMX_CPU_FLAGS", "ExtraBuffersMode", "load_llama", "wants_extra_buffers"]

AMX_CPU_FLAGS = frozenset({"amx_tile", "amx_int8"})
ExtraBuffersMode = Literal["auto", "on", "off"]

_LOADING = threading.Lock()


def wants_extra_buffers(mode: ExtraBuffersMode, flags: frozenset[str]) -> bool:
    """Whether llama.cpp may use its extra weight layouts under ``mode`` on a CPU with these flags.

    >>> wants_extra_buffers("auto", frozenset({"avx2"})), wants_extra_buffers("auto", frozenset({"avx2", "amx_tile"}))
    (True, False)
    >>> wants_extra_buffers("on", frozenset({"amx_tile"})), wants_extra_buffers("off", frozenset({"avx2"}))
    (True, False)
    """
    return mode == "on" or (mode == "auto" and not flags & AMX_CPU_FLAGS)


def load_llama(model_path: Path, *, extra_buffers: bool, **options: Any) -> Llama:
    """``llama_cpp.Llama`` over ``model_path`` (``options`` as its constructor takes them); with ``extra_buffers``
    False the weights stay in plain CPU buffers.

    llama-cpp-python has no argument for that model parameter, so the default parameters its constructor starts
    from are replaced for the length of the load. Loads take one lock, so a load in another thread of this
    process never sees the replacement by accident.
    """
    import llama_cpp.llama_cpp as native
    from llama_cpp import Llama

    with _LOADING:
        if extra_buffers:
            return Llama(model_path=str(model_path), **options)
        defaults: Callable[[], Any] = native.llama_model_default_params

        def plain_buffers() -> Any:
            params = defaults()
            params.use_extra_bufts = False
            return params

        native.llama_model_default_params = plain_buffers
        try:
            return Llama(model_path=str(model_path), **options)
        finally:
            native.llama_model_default_params = defaults
