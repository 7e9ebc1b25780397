"""A dependency-free progress bar for long copies: redrawn in place on a terminal, a line per 10 % otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Reports bytes done out of ``total``; ``update`` is cheap enough to call per 4 MiB chunk."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.total = max(total, 1)
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.done = 0
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._started = time.monotonic()
        self._last_decile = -1

    def update(self, n: int) -> None:
        self.done += n
        fraction = min(self.done / self.total, 1.0)
        if self._tty:
            filled = int(fraction * self.width)
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {fraction:4.0%} {self._rate()}")
            self.stream.flush()
            return
        decile = int(fraction * 10)
        if decile != self._last_decile:
            self._last_decile = decile
            self.stream.write(f"{self.label}: {fraction:.0%} {self._rate()}\n")
            self.stream.flush()

    def close(self) -> None:
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()

    def _rate(self) -> str:
        elapsed = max(time.monotonic() - self._started, 1e-6)
        return f"{self.done / 2**20:,.0f}/{self.total / 2**20:,.0f} MiB {self.done / 2**20 / elapsed:,.0f} MiB/s"
