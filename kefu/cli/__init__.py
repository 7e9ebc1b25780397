"""The ``kefu`` command. Each sub-command lives in a module of this package by concern."""

from __future__ import annotations

import logging

import typer

from kefu.cli import bench, evaluate, events, kb, platform
from kefu.settings import get_settings

app = typer.Typer(
    name="kefu",
    help="Kefu (客服): streaming platform for LLM-powered customer service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
platform.register(app)
events.register(app)
kb.register(app)
app.add_typer(evaluate.eval_app, name="eval")
app.add_typer(bench.bench_app, name="bench")


def main() -> None:
    logging.basicConfig(
        level=get_settings().log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "httpx2", "aiokafka", "faust", "mode"):  # their INFO lines drown Kefu's own
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app()
