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


def open_registry(path: Path | None, *, publish: bool = False) -> FileRegistry:
    """The registry; with ``publish`` and a running platform, its changes also go to Kafka (hot swap, ClickHouse)."""
    from jobs.registry import FileRegistry, RegistryStore
    from kefu.settings import get_settings

    settings = get_settings()
    stores: list[RegistryStore] = []
    if publish and path is None:  # only the platform's own registry is mirrored
        from kefu.state import NotRunning, resolve_endpoints

        try:
            endpoints = resolve_endpoints(settings)
        except NotRunning:
            print("kefu models: the platform is not running; workers pick the change up by polling", file=sys.stderr)
        else:
            from schemas.wire import registry_client
            from streams.producer import BatchProducer, producer_config
            from streams.registry_mirror import TopicRegistryMirror

            producer = BatchProducer(producer_config(endpoints.kafka, settings.producer_linger_ms))
            stores.append(TopicRegistryMirror(settings, registry_client(endpoints.schema_registry), producer))
    return FileRegistry(path or settings.model_registry_dir, stores=stores)


def _fail(message: str) -> typer.Exit:
    print(f"kefu models: {message}", file=sys.stderr)
    return typer.Exit(2)


STORE_VERSIONS_SQL = (
    "SELECT model, version, status, created_at, metrics, parent_version, data_sha256, trigger_id, reason, "
    "artifact_uri FROM model_versions FINAL WHERE {model:String} = '' OR model = {model:String} ORDER BY model, "
    "toUInt32OrZero(substring(version, 2))"
)


@models_app.command("list")
def list_models(
    model: Annotated[str | None, typer.Argument(help="Model name; default: every model.")] = None,
    registry: RegistryOption = None,
    from_store: Annotated[
        bool, typer.Option("--from-store", help="Read the ClickHouse mirror (model_versions) instead of the files.")
    ] = False,
) -> None:
    """One JSON line per version: version, status, active, metrics, lineage and reason."""
    if from_store:
        _list_from_store(model)
        return
    store = open_registry(registry)
    listed = 0
    for name in [model] if model else store.models():
        active = store.active_version(name)
        for card in store.versions(name):
            row = {**card.to_dict(), "active": card.version == active}
            row.pop("details", None)
            print(json.dumps(row, ensure_ascii=False))
            listed += 1
    if not listed:  # stdout stays JSON lines; the note goes to stderr
        _no_versions(model)


def _list_from_store(model: str | None) -> None:
    """The same rows from ``model_versions`` (the newest state of each card)."""
    from streams.store import StoreClient, StoreError, StoreUnavailable

    try:
        with StoreClient.connect() as store:
            rows = store.query(STORE_VERSIONS_SQL, {"model": model or ""}).to_pylist()
    except (StoreError, StoreUnavailable) as error:
        raise _fail(str(error)) from None
    for row in rows:
        row["created_at"] = row["created_at"].isoformat(timespec="seconds")
        row["metrics"] = dict(row["metrics"])
        print(json.dumps(row, ensure_ascii=False))
    if not rows:
        _no_versions(model)


def _no_versions(model: str | None) -> None:
    what = f"of {model}" if model else "of any model"
    typer.echo(
        f"no registered versions {what}: the models shipped with Kefu are in use (`kefu retrain MODEL` makes a "
        "candidate)",
        err=True,
    )


@models_app.command("promote")
def promote(
    model: Annotated[str, typer.Argument(help="Model name, e.g. intent.")],
    version: Annotated[str, typer.Argument(help="Version to make active, e.g. v3.")],
    reason: Annotated[str, typer.Option(help="Why (recorded on the card).")] = "manual promotion",
    registry: RegistryOption = None,
) -> None:
    """Make a version active; prints the ModelPromoted record (published to models.promoted when running)."""
    from jobs.registry import RegistryError

    try:
        event = open_registry(registry, publish=True).promote(model, version, reason=reason)
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
        event = open_registry(registry, publish=True).rollback(model, to, reason=reason)
    except RegistryError as error:
        raise _fail(str(error)) from None
    print(json.dumps(event, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
