"""Assemble a GGUF model from its part packages into a cache directory, once, verified by sha256.

The parts are concatenated in order while hashing, into a temporary file that is renamed into place only when
the digest matches. The digest and size are recorded beside the file, so later starts check the size instead of
re-hashing a gigabyte. A file lock keeps two processes (``kefu serve`` replicas, tests) from assembling at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from serving.models.catalog import GGUFModel
from serving.models.progress import ProgressBar

log = logging.getLogger(__name__)
CHUNK = 4 * 2**20


class ModelPartMissing(RuntimeError):
    """A part package of the model is not installed (or does not expose ``get_part_path``)."""


class ChecksumMismatch(RuntimeError):
    """The assembled parts do not have the pinned digest; nothing was kept."""


def part_paths(model: GGUFModel) -> list[Path]:
    """The part files in concatenation order; raises ModelPartMissing naming the package to install."""
    paths = []
    for module_name in model.part_modules:
        package = module_name.replace("_", "-")
        try:
            module = importlib.import_module(module_name)
            path = Path(module.get_part_path())
        except (ImportError, AttributeError) as error:
            raise ModelPartMissing(
                f"model {model.name} needs the package {package} (module {module_name}); "
                f"install Kefu's dependencies (`make setup`): {error}"
            ) from error
        if not path.is_file():
            raise ModelPartMissing(f"{package} is installed but its part file {path} is missing; reinstall it")
        paths.append(path)
    return paths


def _record_path(target: Path) -> Path:
    return target.with_name(target.name + ".sha256.json")


def record_matches(record: Path, target: Path, **expected: object) -> bool:
    """True if ``target`` exists with the size its ``record`` (JSON) names, and the record holds ``expected``."""
    try:
        fields = json.loads(record.read_text())
        size = target.stat().st_size
    except (FileNotFoundError, json.JSONDecodeError):
        return False
    return bool(fields.get("size") == size and all(fields.get(k) == v for k, v in expected.items()))


def write_record(record: Path, **fields: object) -> None:
    """Write ``record`` (JSON) atomically: a reader sees the old one or the new one."""
    tmp = record.with_name(record.name + ".tmp")
    tmp.write_text(json.dumps(fields))
    os.replace(tmp, record)


def _recorded_ok(model: GGUFModel, target: Path) -> bool:
    """True if the file exists and its recorded digest is the pinned one, with the recorded size."""
    return record_matches(_record_path(target), target, sha256=model.sha256)


def _write_record(target: Path, digest: str, size: int) -> None:
    write_record(_record_path(target), sha256=digest, size=size)


def _hash_file(path: Path, bar: ProgressBar | None) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            sha.update(chunk)
            if bar is not None:
                bar.update(len(chunk))
    return sha.hexdigest()


@contextlib.contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """One process at a time writes a model's files (assembly, derived copies)."""
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # waits while another process assembles the same model
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_gguf(model: GGUFModel, cache_dir: Path, *, progress: TextIO | None = None) -> Path:
    """The path of the verified GGUF file, assembling it first if needed.

    ``progress`` is where the bar goes (stderr if None). Raises ModelPartMissing or ChecksumMismatch.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / model.filename
    if _recorded_ok(model, target):
        return target
    with exclusive(cache_dir / f".{model.name}.lock"):
        if _recorded_ok(model, target):  # another process finished it while we waited
            return target
        if target.exists() and _adopt(model, target, progress):
            return target
        _assemble(model, target, progress)
    return target


def _adopt(model: GGUFModel, target: Path, progress: TextIO | None) -> bool:
    """A file without a valid record (copied in, or the record lost): hash it once and keep it if it matches."""
    bar = ProgressBar(f"verifying {model.name}", target.stat().st_size, progress)
    digest = _hash_file(target, bar)
    bar.close()
    if digest == model.sha256:
        _write_record(target, digest, target.stat().st_size)
        return True
    log.warning("%s has digest %s, not the pinned one; assembling it again", target, digest)
    target.unlink()
    return False


def _assemble(model: GGUFModel, target: Path, progress: TextIO | None) -> None:
    paths = part_paths(model)
    total = sum(p.stat().st_size for p in paths)
    if model.size is not None and total != model.size:
        raise ChecksumMismatch(f"parts of {model.name} add up to {total} bytes, expected {model.size}")
    for stale in target.parent.glob(f".{target.name}.*.partial"):  # left by a killed run
        stale.unlink(missing_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    sha = hashlib.sha256()
    bar = ProgressBar(f"assembling {model.name}", total, progress)
    try:
        with tmp.open("wb") as out:
            for path in paths:
                with path.open("rb") as part:
                    while chunk := part.read(CHUNK):
                        sha.update(chunk)
                        out.write(chunk)
                        bar.update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        bar.close()
        digest = sha.hexdigest()
        if digest != model.sha256:
            raise ChecksumMismatch(
                f"{model.name} assembled from {len(paths)} parts has sha256 {digest}, expected {model.sha256}; "
                "a part package is corrupt or not the pinned version"
            )
        os.replace(tmp, target)
        _write_record(target, digest, total)
        log.info("assembled %s (%d bytes) at %s", model.name, total, target)
    finally:
        tmp.unlink(missing_ok=True)
