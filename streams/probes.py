"""Health probes of the platform's parts, for ``kefu up`` (waiting for each part) and ``kefu status``.

Each answers True or False, never raises: a part that refuses, times out or answers an error is not ready.
"""

from __future__ import annotations

import socket

import httpx


def port_open(host: str, port: int, timeout_s: float) -> bool:
    """Whether something accepts TCP connections on ``host:port`` (the Kafka broker, milvus-lite)."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def kafka_open(bootstrap: str, timeout_s: float) -> bool:
    """Whether the first broker of a ``host:port[,host:port...]`` bootstrap list accepts connections."""
    host, _, port = bootstrap.split(",", maxsplit=1)[0].rpartition(":")
    return port.isdigit() and port_open(host, int(port), timeout_s)


def http_ok(url: str, timeout_s: float) -> bool:
    """Whether ``GET url`` answers 200."""
    try:
        return httpx.get(url, timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False
