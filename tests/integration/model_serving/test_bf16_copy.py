"""The BF16 prompt-evaluation copy of the real 0.5B GGUF: derived once, kept, derived again for another source."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest

from kefu.settings import Settings
from serving.models import QWEN_CODER_0_5B, ensure_bf16_gguf, ensure_gguf

pytestmark = pytest.mark.slow


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copyfile(source, target)


def test_the_bf16_copy_is_derived_once_and_again_when_its_source_changes(tmp_path: Path) -> None:
    source = ensure_gguf(QWEN_CODER_0_5B, Settings().model_cache_dir)
    cache = tmp_path / "models"
    cache.mkdir()
    for path in (source, source.with_name(source.name + ".sha256.json")):
        _link(path, cache / path.name)  # the verified 4-bit file, without assembling it again

    progress = io.StringIO()
    copy = ensure_bf16_gguf(QWEN_CODER_0_5B, cache, progress=progress)
    assert "derived" in progress.getvalue()
    assert f"deriving {QWEN_CODER_0_5B.name} BF16: 100%" in progress.getvalue()  # the bar, against the catalog size
    assert copy.stat().st_size == QWEN_CODER_0_5B.bf16_size
    with copy.open("rb") as gguf:
        assert gguf.read(4) == b"GGUF"
    assert copy.stat().st_size > 2 * source.stat().st_size  # 16-bit weights, not 4-bit ones
    assert list(cache.glob("*.partial")) == []

    again = io.StringIO()
    modified = copy.stat().st_mtime_ns
    assert ensure_bf16_gguf(QWEN_CODER_0_5B, cache, progress=again) == copy
    assert again.getvalue() == ""
    assert copy.stat().st_mtime_ns == modified

    record = copy.with_name(copy.name + ".source.json")
    record.write_text(json.dumps({"source_sha256": "0" * 64, "size": copy.stat().st_size}))  # another source
    rederived = io.StringIO()
    ensure_bf16_gguf(QWEN_CODER_0_5B, cache, progress=rederived)
    assert "derived" in rederived.getvalue()
    assert json.loads(record.read_text())["source_sha256"] == QWEN_CODER_0_5B.sha256


def test_the_local_model_files_follow_the_prefill_setting() -> None:
    """What `kefu serve` prepares before any replica starts, and `kefu models fetch` prints."""
    from serving.generation.factory import local_model_files

    four_bit, copy = local_model_files(Settings(llm_prefill="bf16"), "fast")
    assert four_bit.name == QWEN_CODER_0_5B.filename
    assert copy is not None and copy.stat().st_size == QWEN_CODER_0_5B.bf16_size
    assert local_model_files(Settings(llm_prefill="off"), "fast") == (four_bit, None)
