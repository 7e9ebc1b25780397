"""Print the README's settings table from kefu/settings.py (`python scripts/settings_table.py`)."""

from __future__ import annotations

from kefu.settings import Settings


def settings_table() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = "unset" if field.default is None else field.default
        rows.append(f"| `KEFU_{name.upper()}` | `{default}` | {field.description} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(settings_table())
