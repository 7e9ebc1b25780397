"""The model endpoint down: every customer message still gets a BotReply (extractive answer or a hand-off).

The responder's ModelClient is pointed (KEFU_SERVE_HTTP_URL) at a loopback endpoint this test controls: it
answers 503 (a replica down behind the Serve proxy), then accepts and never answers (a hung replica), then is
closed (the whole serving down). The model-unavailable counter proves each failure was met, not avoided.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Platform, ask, start_responder_platform, stop_platform
from tests.integration.faults.support import metric_total

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # start-up alone takes minutes on a loaded machine
QUESTIONS = ("可以七天无理由退货吗？", "退货的运费谁出？", "怎么申请退货？")
HANDOFF_REASONS = {"model_unavailable", "low_confidence", "unsupported_answer"}


class FaultyModelEndpoint:
    """A loopback HTTP endpoint that fails the way a model replica does; ``mode`` is '503' or 'hang'."""

    def __init__(self) -> None:
        self.mode = "503"
        self.hits = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                endpoint.hits += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if endpoint.mode == "hang":
                    time.sleep(8)  # longer than the client's deadline; the client has given up by then
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def endpoint() -> Iterator[FaultyModelEndpoint]:
    faulty = FaultyModelEndpoint()
    yield faulty
    faulty.close()


@pytest.fixture(scope="module")
def model_down_platform(tmp_path_factory: pytest.TempPathFactory, endpoint: FaultyModelEndpoint) -> Iterator[Platform]:
    running = start_responder_platform(  # its own: the test takes the model endpoint down under it
        Path(tmp_path_factory.mktemp("kefu-model-down")),
        KEFU_SERVE_HTTP_URL=endpoint.url,
        KEFU_LLM_TIMEOUT_S="2",
        KEFU_LLM_FIRST_TOKEN_TIMEOUT_S="2",
    )
    yield running
    stop_platform(running)


def _unavailable(platform: Platform, reason: str) -> float:
    return metric_total(platform.status["metrics"][1], "kefu_model_unavailable_total", reason=reason)


@pytest.mark.parametrize(("mode", "reason"), [("503", "http_503"), ("hang", "timeout"), ("closed", "connect")])
def test_every_message_gets_a_reply_while_the_model_endpoint_is_down(
    model_down_platform: Platform, endpoint: FaultyModelEndpoint, mode: str, reason: str
) -> None:
    if mode == "closed":
        endpoint.close()
    else:
        endpoint.mode = mode
    failures_before, hits_before = _unavailable(model_down_platform, reason), endpoint.hits
    for n, question in enumerate(QUESTIONS):
        response = ask(model_down_platform, f"down-{mode}-{uuid.uuid4().hex[:6]}-{n}", question)
        assert response.status_code == 200, response.text
        kefu = response.json()["kefu"]
        assert response.json()["choices"][0]["message"]["content"]
        if kefu["handoff"] is None:  # answered without the generator: the extractive fallback, with its sources
            assert kefu["model_profile"] == "extractive" and kefu["citations"], kefu
        else:
            assert kefu["handoff"]["reason"] in HANDOFF_REASONS, kefu
    assert _unavailable(model_down_platform, reason) > failures_before, "the generator was never called"
    if mode != "closed":
        assert endpoint.hits > hits_before
