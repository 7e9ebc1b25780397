"""Secret keys kept in files of their own: the configured key, else the one in the file, created on first use.

Several processes of one machine (the API and the workers) read the same file; the first to need the key creates it
(mode 0600, ``O_EXCL``) and a process that loses that race reads the winner's. Production sets the key instead, so
processes on other hosts agree.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from kefu.settings import Settings

__all__ = ["key_from_file", "pseudonym_key"]


def key_from_file(configured: str | None, key_file: Path, generate: Callable[[], bytes]) -> bytes:
    """``configured`` (encoded), else the key in ``key_file``, created with ``generate()`` (mode 0600) if absent.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> first = key_from_file(None, folder / "k.key", lambda: b"k1")
    >>> first, key_from_file(None, folder / "k.key", lambda: b"k2"), oct((folder / "k.key").stat().st_mode & 0o777)
    (b'k1', b'k1', '0o600')
    >>> key_from_file("set", folder / "k.key", lambda: b"k3")
    b'set'
    """
    if configured:
        return configured.encode()
    try:
        return key_file.read_bytes().strip()
    except FileNotFoundError:
        pass
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = generate()
    try:
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return key_file.read_bytes().strip()
    with os.fdopen(descriptor, "wb") as out:
        out.write(key)
    return key


def pseudonym_key(settings: Settings) -> bytes:
    """The key of the customer-id pseudonyms (``KEFU_PSEUDONYM_KEY``, else ``<data_dir>/pseudonym.key``)."""
    configured = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None
    return key_from_file(configured, settings.pseudonym_key_path, lambda: secrets.token_hex(32).encode())
