"""When prompts are evaluated by the BF16 copy: the CPU's flags, the setting, and the prefix arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.settings import Settings
from serving.generation.prefill import common_prefix, cpu_flags, wants_bf16_prefill

ZEN4_FLAGS = "flags\t\t: fpu vme sse2 avx2 avx512f avx512_vnni avx512_bf16 vaes\n"


def test_cpu_flags_are_read_from_the_first_flags_line(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: AMD EPYC\n" + ZEN4_FLAGS + "processor\t: 1\n" + ZEN4_FLAGS)
    assert {"avx2", "avx512_bf16"} <= cpu_flags(cpuinfo)
    assert "model" not in cpu_flags(cpuinfo)


def test_no_cpuinfo_means_no_flags(tmp_path: Path) -> None:
    assert cpu_flags(tmp_path / "missing") == frozenset()


@pytest.mark.parametrize(
    ("mode", "flags", "expected"),
    [
        ("auto", {"avx2", "avx512_bf16"}, True),
        ("auto", {"avx2", "amx_bf16"}, True),
        ("auto", {"avx512_bf16", "amx_bf16", "amx_tile", "amx_int8"}, False),  # measured 2x slower than 4 bits there
        ("auto", {"avx2", "avx512f"}, False),  # BF16 would be emulated: slower than the 4-bit model
        ("bf16", set(), True),
        ("off", {"avx512_bf16"}, False),
    ],
)
def test_auto_prefills_in_bf16_only_where_the_cpu_multiplies_bf16(mode: str, flags: set[str], expected: bool) -> None:
    assert wants_bf16_prefill(mode, frozenset(flags)) is expected  # type: ignore[arg-type]


def test_the_setting_reads_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().llm_prefill == "auto"
    monkeypatch.setenv("KEFU_LLM_PREFILL", "off")
    assert Settings().llm_prefill == "off"


def test_common_prefix_stops_at_the_first_difference() -> None:
    system = list(range(300))
    assert common_prefix([*system, 7, 8], [*system, 7, 9, 10]) == 301
    assert common_prefix([], [1]) == 0
    assert common_prefix([1, 2], [1, 2]) == 2
