"""A stand-in for WeChat's server API on loopback (WeChat's own servers are not reachable from tests).

It answers ``GET /cgi-bin/token`` and ``POST /cgi-bin/message/custom/send`` as WeChat documents them, records what
it received, and can be told to answer the next calls with given errcodes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class WeChatApiStub:
    url: str = ""
    tokens_issued: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)  # bodies of accepted custom/send calls
    raw_bodies: list[bytes] = field(default_factory=list)
    send_errors: list[int] = field(default_factory=list)  # errcodes for the next custom/send calls, in order
    lock: threading.Lock = field(default_factory=threading.Lock)

    def token(self) -> str:
        return f"token-{self.tokens_issued}"


def _handler(stub: WeChatApiStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _answer(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            if url.path != "/cgi-bin/token" or query.get("appid") != ["wx-app"] or query.get("secret") != ["s3cret"]:
                self._answer({"errcode": 40013, "errmsg": "invalid appid"})
                return
            with stub.lock:
                stub.tokens_issued += 1
                self._answer({"access_token": stub.token(), "expires_in": 7200})

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with stub.lock:
                if url.path != "/cgi-bin/message/custom/send":
                    self._answer({"errcode": 404, "errmsg": "no such api"})
                elif parse_qs(url.query).get("access_token") != [stub.token()]:
                    self._answer({"errcode": 40001, "errmsg": "invalid credential"})
                elif stub.send_errors:
                    self._answer({"errcode": stub.send_errors.pop(0), "errmsg": "scripted"})
                else:
                    stub.raw_bodies.append(body)
                    stub.sent.append(json.loads(body))
                    self._answer({"errcode": 0, "errmsg": "ok"})

    return Handler


@contextmanager
def wechat_api_stub() -> Iterator[WeChatApiStub]:
    """A running stub; credentials it accepts: AppID ``wx-app``, AppSecret ``s3cret``."""
    stub = WeChatApiStub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
