"""Health probes answer True or False against real loopback sockets, and never raise."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from streams.children import free_port
from streams.probes import http_ok, kafka_open, port_open


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_listening_port_is_open_and_a_closed_one_is_not() -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        assert port_open("127.0.0.1", port, 0.5)
        assert kafka_open(f"127.0.0.1:{port},127.0.0.1:1", 0.5)  # the first broker of the list
    closed = free_port()
    assert not port_open("127.0.0.1", closed, 0.5)
    assert not kafka_open(f"127.0.0.1:{closed}", 0.5)
    assert not kafka_open("no-port-here", 0.5)


def test_http_ok_only_on_a_200(server: str) -> None:
    assert http_ok(f"http://{server}/health", 1.0)
    assert not http_ok(f"http://{server}/other", 1.0)  # answers, but 503
    assert not http_ok(f"http://127.0.0.1:{free_port()}/health", 1.0)  # nobody there
