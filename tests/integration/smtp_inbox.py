"""A real SMTP server (aiosmtpd) on a free loopback port that keeps what it receives: the e-mail customers' inbox."""

from __future__ import annotations

import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class Inbox:
    """Messages received, parsed; :meth:`wait_for` polls for one that matches."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.port = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802  # aiosmtpd's hook
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def wait_for(self, to: str, timeout_s: float = 120.0, **headers: str) -> EmailMessage:
        """The first message to ``to`` whose headers have the given values (``In_Reply_To="<id>"``)."""
        wanted = {name.replace("_", "-"): value for name, value in headers.items()}
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                for message in self.messages:
                    if message["To"] == to and all(message[k] == v for k, v in wanted.items()):
                        return message
            time.sleep(0.1)
        raise AssertionError(f"no e-mail to {to} with {wanted} within {timeout_s} s; got {len(self.messages)}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_smtp_server() -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    return controller, inbox
