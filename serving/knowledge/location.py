"""Where the knowledge base lives, and the command that serves an embedded one to several processes.

milvus-lite opens a ``.db`` directory in one process only (STACK.md). So: ``KEFU_MILVUS_URI`` when set (a Milvus
server in production); else the ``milvus`` URI of the running embedded platform, whose ``kefu up`` serves
``<data dir>/kb.db`` with ``milvus-lite server`` on loopback; else, with no platform running, the file itself.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kefu.settings import Settings
from kefu.state import pid_alive


def embedded_kb_path(settings: Settings) -> Path:
    return settings.data_dir / "kb.db"


def kb_uri(settings: Settings) -> str:
    """``milvus_uri``, else the running platform's milvus-lite server, else the embedded ``kb.db`` file."""
    if settings.milvus_uri:
        return settings.milvus_uri
    try:
        state = json.loads(settings.state_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        state = {}
    if state.get("milvus") and pid_alive(state.get("pid")):
        return str(state["milvus"])
    path = embedded_kb_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path)


def milvus_lite_server_argv(settings: Settings, host: str, port: int) -> list[str]:
    """The child process ``kefu up`` starts so the CLI, the responder and workers share one embedded KB.

    The server's data directory is the same ``kb.db`` a lone process opens, so a KB ingested before ``kefu up``
    is served after it, and the reverse.
    """
    return [
        sys.executable,
        "-m",
        "milvus_lite",
        "server",
        "--data-dir",
        str(embedded_kb_path(settings).resolve()),
        "--host",
        host,
        "--port",
        str(port),
    ]
