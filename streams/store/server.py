"""The embedded store's query endpoint, served by the process that owns the chDB directory (the sink).

``POST /query`` with ``{"sql": ..., "params": {...}}`` and ``Authorization: Bearer <token>`` answers an Arrow
IPC stream, or ``{"error": ...}`` with 400 (refused or failed query) or 401. ``GET /health`` answers the sink's
counters; ``GET /metrics`` its Prometheus metrics. Loopback only: the token is in ``<data dir>/store.json``.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pyarrow as pa
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from streams.store.client import StoreClient, StoreError
from streams.store.sqlguard import QueryRefused

log = logging.getLogger(__name__)
MAX_BODY = 1_000_000


def arrow_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


class QueryServer:
    """A threaded HTTP server in front of a StoreClient on the owner's read-only session."""

    def __init__(
        self,
        store: StoreClient,
        token: str,
        health: Callable[[], dict[str, Any]],
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.store, self.token, self.health = store, token, health
        self.httpd = ThreadingHTTPServer((host, port), self._handler())
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="store-query", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> QueryServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                log.debug(format, *args)

            def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _error(self, status: int, message: str) -> None:
                self._send(status, json.dumps({"error": message}, ensure_ascii=False).encode())

            def do_GET(self) -> None:
                if self.path == "/health":
                    self._send(200, json.dumps({"status": "ok", **server.health()}).encode())
                elif self.path == "/metrics":
                    self._send(200, generate_latest(), CONTENT_TYPE_LATEST)
                else:
                    self._error(404, "not found")

            def do_POST(self) -> None:
                if self.path != "/query":
                    self._error(404, "not found")
                    return
                presented = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if not hmac.compare_digest(presented.encode(), server.token.encode()):
                    self._error(401, "missing or invalid store token")
                    return
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self._error(413, f"query body larger than {MAX_BODY} bytes")
                    return
                try:
                    request = json.loads(self.rfile.read(length))
                    sql, params, tenant = request["sql"], request.get("params") or {}, request.get("tenant")
                    if not isinstance(sql, str) or not isinstance(params, dict):
                        raise TypeError
                    if tenant is not None and not isinstance(tenant, str):
                        raise TypeError
                except (ValueError, KeyError, TypeError):
                    self._error(400, 'body must be JSON {"sql": "...", "params": {...}, "tenant": "..."?}')
                    return
                try:
                    table = server.store.query(sql, params, tenant=tenant)
                except (QueryRefused, StoreError) as error:
                    self._error(400, str(error))
                    return
                except Exception as error:  # a bad parameter value and the like: answer, never die
                    log.exception("query failed")
                    self._error(400, f"{type(error).__name__}: {error}")
                    return
                self._send(200, arrow_bytes(table), "application/vnd.apache.arrow.stream")

        return Handler
