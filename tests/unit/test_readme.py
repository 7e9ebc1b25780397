"""The README stays true: its settings table is the settings object's."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_readme_settings_table_lists_every_setting_with_its_default() -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        from settings_table import settings_table
    finally:
        sys.path.pop(0)
    assert settings_table() in (REPO / "README.md").read_text(encoding="utf-8"), (
        "README settings table is stale: regenerate it with `python scripts/settings_table.py`"
    )
