"""One `kefu serve` for the session: real Ray Serve with the embedder/reranker doubles, the real 0.5B model as
the fast profile, and a quality profile pointed at a dead OpenAI-compatible endpoint (so fallback is exercised).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kefu.settings import Settings
from serving.deployments.runtime import ServeInfo

REPO = Path(__file__).resolve().parents[3]
DOUBLES = "tests.integration.model_serving.doubles"


@dataclass
class Serving:
    process: subprocess.Popen[bytes]
    info: ServeInfo
    settings: Settings
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ray_processes(gcs_address: str) -> list[str]:
    """Processes of the Ray instance at ``gcs_address`` (raylet, GCS, monitors, workers name it in their args)."""
    port = gcs_address.rsplit(":", 1)[-1]
    markers = (f"gcs-address={gcs_address}", f"gcs_address={gcs_address}", f"gcs_server_port={port}")
    out = subprocess.run(["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if any(m in line for m in markers)]


@pytest.fixture(scope="session")
def serving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serving]:
    data_dir = tmp_path_factory.mktemp("serve-data")
    ready = data_dir / "run" / "serve.ready"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),  # Ray workers import the doubles
        "KEFU_DATA_DIR": str(data_dir),
        "KEFU_EMBEDDER_FACTORY": f"{DOUBLES}:build_embedder",
        "KEFU_RERANKER_FACTORY": f"{DOUBLES}:build_reranker",
        "KEFU_LLM_PROFILE": "quality",
        "KEFU_LLM_FALLBACK": "on",
        "KEFU_LLM_BASE_URL": f"http://127.0.0.1:{_free_port()}/v1",  # nothing listens: the endpoint is down
        "KEFU_LLM_RETRIES": "1",
        "KEFU_LLM_MAX_TOKENS": "24",
        "KEFU_HEALTH_CHECK_PERIOD_S": "2",
    }
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "kefu", "serve", "--ready-file", str(ready)],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 300
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"kefu serve did not become ready:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)
    info = ServeInfo.read(ready)
    if info is None or len(_ray_processes(info.ray_address)) < 2:  # the leak check below must see this instance
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        pytest.fail(f"kefu serve wrote {info}, and its Ray processes are not visible")
    print(f"\nkefu serve ready after {info.started_s:.1f}s: {info.apps}")
    settings = Settings.model_validate(
        {k[5:].lower(): v for k, v in env.items() if k.startswith("KEFU_")} | {"data_dir": data_dir}
    )
    yield Serving(process, info, settings, log)

    import ray

    if ray.is_initialized():
        ray.shutdown()  # this process joined the cluster as a driver
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0, log.read_text()[-3000:]
    assert not ready.exists()
    assert _ray_processes(info.ray_address) == [], "Ray processes left behind"
