"""The model registry: versions with cards, an active pointer per model, promotion and rollback.

Public surface: :class:`FileRegistry` (the source of truth, a directory), :class:`ModelCard`,
:class:`RegistryStore` (mirrors such as a ClickHouse ``model_versions`` table), :class:`InMemoryRegistryStore`,
:func:`load_model` and :func:`load_active_model`.
"""

from jobs.registry.card import ModelCard, VersionStatus
from jobs.registry.files import FileRegistry, RegistryError
from jobs.registry.kinds import MODEL_LOADERS, load_active_model, load_model
from jobs.registry.store import InMemoryRegistryStore, RegistryStore, version_record

__all__ = [
    "MODEL_LOADERS",
    "FileRegistry",
    "InMemoryRegistryStore",
    "ModelCard",
    "RegistryError",
    "RegistryStore",
    "VersionStatus",
    "load_active_model",
    "load_model",
    "version_record",
]
