"""``kefu models list|promote|rollback``: the model registry in ``<data_dir>/models``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from jobs.registry import FileRegistry

models_app = typer.Typer(help="Model registry: versions, promotion, rollback.", no_args_is_help=True)

RegistryOption = Annotated[
    Path | None, typer.Option("--registry", help="Registry directory; default: <KEFU_DATA_DIR>/models.")
]


def _registry(path: Path | None) -> FileRegistry:
    from jobs.registry import FileRegistry
    from kefu.settings import get_settings

    return FileRegistry(path or get_settings().data_dir / "models")


def _fail(message: str) -> typer.Exit:
    print(f"kefu models: {message}", file=sys.stderr)
    return typer.Exit(2)


@models_app.command("list")
def list_models(
    model: Annotated[str | None, typer.Argument(help="Model name; default: every model.")] = None,
    registry: RegistryOption = None,
) -> None:
    """One JSON line per version: version, status, active, metrics, lineage and reason."""
    store = _registry(registry)
    for name in [model] if model else store.models():
        active = store.active_version(name)
        for card in store.versions(name):
            row = {**card.to_dict(), "active": card.version == active}
            row.pop("details", None)
            print(json.dumps(row, ensure_ascii=False))


@models_app.command("promote")
def promote(
    model: Annotated[str, typer.Argument(help="Model name, e.g. intent.")],
    version: Annotated[str, typer.Argument(help="Version to make active, e.g. v3.")],
    reason: Annotated[str, typer.Option(help="Why (recorded on the card).")] = "manual promotion",
    registry: RegistryOption = None,
) -> None:
    """Make a version active; prints the ModelPromoted record (workers pick the change up by polling)."""
    from jobs.registry import RegistryError

    try:
        event = _registry(registry).promote(model, version, reason=reason)
    except RegistryError as error:
        raise _fail(str(error)) from None
    print(json.dumps(event, ensure_ascii=False))


@models_app.command("rollback")
def rollback(
    model: Annotated[str, typer.Argument(help="Model name, e.g. intent.")],
    to: Annotated[str | None, typer.Option("--to", help="Version to go back to; default: the previous one.")] = None,
    reason: Annotated[str, typer.Option(help="Why (recorded on the card).")] = "",
    registry: RegistryOption = None,
) -> None:
    """Make the previously active version (or --to) active again; prints the ModelPromoted record."""
    from jobs.registry import RegistryError

    try:
        event = _registry(registry).rollback(model, to, reason=reason)
    except RegistryError as error:
        raise _fail(str(error)) from None
    print(json.dumps(event, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
