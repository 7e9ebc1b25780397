"""Assembling a GGUF from part packages: order, digest check, reuse without re-hashing, clear errors."""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

import pytest

from serving.models import ChecksumMismatch, GGUFModel, ModelPartMissing, ensure_gguf

PARTS = [b"GGUF-part-one|", b"part-two|" * 1000, b"last"]


def make_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, contents: list[bytes]) -> tuple[str, ...]:
    """Tiny fake part packages: modules with get_part_path(), as the real ones have."""
    prefix = f"fakepart_{uuid.uuid4().hex[:8]}_"
    modules = tmp_path / "site"
    modules.mkdir(exist_ok=True)
    names = []
    for n, content in enumerate(contents, start=1):
        blob = tmp_path / f"blob{n}.bin"
        blob.write_bytes(content)
        (modules / f"{prefix}{n}.py").write_text(f"def get_part_path():\n    return {str(blob)!r}\n")
        names.append(f"{prefix}{n}")
    monkeypatch.syspath_prepend(str(modules))
    return tuple(names)


def model_of(names: tuple[str, ...], content: bytes) -> GGUFModel:
    return GGUFModel(name="tiny", part_modules=names, sha256=hashlib.sha256(content).hexdigest())


def test_parts_are_concatenated_in_order_and_verified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = make_parts(tmp_path, monkeypatch, PARTS)
    progress = io.StringIO()
    path = ensure_gguf(model_of(names, b"".join(PARTS)), tmp_path / "cache", progress=progress)
    assert path.read_bytes() == b"".join(PARTS)
    assert "assembling tiny: 100%" in progress.getvalue()
    assert list((tmp_path / "cache").glob("*.partial")) == []


def test_second_start_reuses_the_file_without_reading_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = make_parts(tmp_path, monkeypatch, PARTS)
    model = model_of(names, b"".join(PARTS))
    first = ensure_gguf(model, tmp_path / "cache", progress=io.StringIO())
    for blob in tmp_path.glob("blob*.bin"):
        blob.unlink()  # the parts are gone: only the recorded digest and size can make this pass
    progress = io.StringIO()
    assert ensure_gguf(model, tmp_path / "cache", progress=progress) == first
    assert progress.getvalue() == ""  # neither assembled nor re-hashed


def test_digest_mismatch_keeps_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = make_parts(tmp_path, monkeypatch, PARTS)
    model = model_of(names, b"something else")
    with pytest.raises(ChecksumMismatch, match="expected"):
        ensure_gguf(model, tmp_path / "cache", progress=io.StringIO())
    assert sorted(p.name for p in (tmp_path / "cache").iterdir() if not p.name.endswith(".lock")) == []


def test_missing_part_package_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = make_parts(tmp_path, monkeypatch, PARTS)
    missing = (*names, "kefu_no_such_part_7")
    with pytest.raises(ModelPartMissing, match="kefu-no-such-part-7"):
        ensure_gguf(model_of(missing, b"".join(PARTS)), tmp_path / "cache", progress=io.StringIO())


def test_truncated_file_is_assembled_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = make_parts(tmp_path, monkeypatch, PARTS)
    model = model_of(names, b"".join(PARTS))
    path = ensure_gguf(model, tmp_path / "cache", progress=io.StringIO())
    path.write_bytes(path.read_bytes()[:10])  # size no longer matches the record
    assert ensure_gguf(model, tmp_path / "cache", progress=io.StringIO()).read_bytes() == b"".join(PARTS)


def test_file_without_record_is_hashed_once_and_adopted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = make_parts(tmp_path, monkeypatch, PARTS)
    model = model_of(names, b"".join(PARTS))
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / model.filename).write_bytes(b"".join(PARTS))  # e.g. copied from another machine
    for blob in tmp_path.glob("blob*.bin"):
        blob.unlink()
    progress = io.StringIO()
    assert ensure_gguf(model, cache, progress=progress).read_bytes() == b"".join(PARTS)
    assert "verifying tiny" in progress.getvalue()


def test_wrong_file_without_record_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = make_parts(tmp_path, monkeypatch, PARTS)
    model = model_of(names, b"".join(PARTS))
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / model.filename).write_bytes(b"corrupt")
    (cache / f".{model.filename}.999.partial").write_bytes(b"left by a killed run")
    assert ensure_gguf(model, cache, progress=io.StringIO()).read_bytes() == b"".join(PARTS)
    assert list(cache.glob("*.partial")) == []
