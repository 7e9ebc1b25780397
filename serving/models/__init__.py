"""Models shipped inside registry packages: the catalog and the verified assembly of GGUF files."""

from serving.models.catalog import MODELS, QWEN_CODER_0_5B, QWEN_CODER_1_5B, GGUFModel, Profile
from serving.models.gguf import ChecksumMismatch, ModelPartMissing, ensure_gguf, part_paths
from serving.models.widen import WideningFailed, ensure_bf16_gguf

__all__ = [
    "MODELS",
    "QWEN_CODER_0_5B",
    "QWEN_CODER_1_5B",
    "ChecksumMismatch",
    "GGUFModel",
    "ModelPartMissing",
    "Profile",
    "WideningFailed",
    "ensure_bf16_gguf",
    "ensure_gguf",
    "part_paths",
]
