"""The ``kefu`` command. Each sub-command lives in a module of this package by concern."""

from __future__ import annotations

import logging

import typer

from kefu.cli import ab, chat, events, kb, models, platform, retrain, serve, store
from kefu.cli.bench import bench_app
from kefu.cli.evaluate import eval_app
from kefu.cli.predict import predict_app
from kefu.cli.train import train_app
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
models.register(app)
retrain.register(app)
ab.register(app)
app.add_typer(train_app, name="train")
app.add_typer(predict_app, name="predict")
app.add_typer(eval_app, name="eval")
store.register(app)
serve.register(app)
kb.register(app)
chat.register(app)
app.add_typer(bench_app, name="bench")


def main() -> None:
    from kefu import redacting_logs

    redacting_logs.install()
    logging.basicConfig(
        level=get_settings().log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "httpx2", "aiokafka", "faust", "mode", "faiss", "milvus_lite"):  # INFO chatter
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app()
