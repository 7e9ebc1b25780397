"""The platform's child processes: starting one that dies with its supervisor, stopping it, waiting for it.

``kefu up`` (``streams.embedded``) runs every part as a :class:`Child` and waits for each with :func:`wait_until`;
``kefu bench enrich`` runs its runners the same way.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

log = logging.getLogger(__name__)
LAUNCHER = Path(__file__).with_name("die_with_parent.py")


class StartupFailed(RuntimeError):
    """A part of the platform did not become ready; the message names it and its log file."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    essential: bool  # the platform cannot go on without it (the registry); the others are restarted
    process: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)
    _log: IO[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the child
        self.process = subprocess.Popen(
            [sys.executable, "-S", str(LAUNCHER), str(os.getpid()), *self.argv],  # dies with this process
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            process_group=0,  # Ctrl-C reaches the supervisor only, which then stops children in order
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace_s: float = 10.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(grace_s)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0fs; killing it", self.name, grace_s)
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()


def wait_until(
    check: Callable[[], bool],
    what: str,
    timeout_s: float,
    child: Child | None = None,
    setting: str = "KEFU_READY_TIMEOUT_S",
) -> None:
    """Wait for ``check``; a timeout names the ``setting`` that sets it (a busy machine may need more)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if child is not None and not child.alive():
            raise StartupFailed(f"{what} exited during start-up; see {child.log_path}")
        try:
            if check():
                return
        except (OSError, httpx.HTTPError):
            pass
        time.sleep(0.1)
    where = f"; see {child.log_path}" if child else ""
    raise StartupFailed(f"{what} was not ready after {timeout_s:.0f}s ({setting} waits longer){where}")
