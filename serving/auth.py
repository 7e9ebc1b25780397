"""API keys: stored as SHA-256 hashes, each bound to one tenant ('*' = every tenant, for operators).

Production passes ``KEFU_API_KEYS=tenant:sha256hex,...`` from the environment. Embedded mode generates a
development key on first start, keeps its hash in ``<data dir>/api_keys.json`` and the key itself (0600) in
``<data dir>/dev-api-key`` so that ``kefu status`` can show it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from pathlib import Path

DEV_KEY_FILE = "dev-api-key"
KEYS_FILE = "api_keys.json"
# Web-chat keys are public (they sit in a customer-facing page): chat and customer feedback only, one tenant each.
DEV_WEBCHAT_KEY_FILE = "dev-webchat-key"
WEBCHAT_KEYS_FILE = "webchat_keys.json"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    """Maps a presented key to its tenant, comparing hashes in constant time."""

    def __init__(self, hashed: dict[str, str]) -> None:
        self._tenant_of_hash = dict(hashed)

    @classmethod
    def parse(cls, spec: str) -> ApiKeys:
        """``tenant:sha256hex`` pairs, comma-separated."""
        hashed: dict[str, str] = {}
        for pair in filter(None, (p.strip() for p in spec.split(","))):
            tenant, _, digest = pair.partition(":")
            if not tenant or not re.fullmatch(r"[0-9a-fA-F]{64}", digest):
                raise ValueError(f"KEFU_API_KEYS entry {pair[:12]}... is not tenant:sha256hex")
            hashed[digest.lower()] = tenant
        return cls(hashed)

    @classmethod
    def load(cls, data_dir: Path, file_name: str = KEYS_FILE) -> ApiKeys:
        path = data_dir / file_name
        return cls(json.loads(path.read_text()) if path.exists() else {})

    def tenant_of(self, key: str | None) -> str | None:
        if not key:
            return None
        digest = hash_key(key)
        for known, tenant in self._tenant_of_hash.items():
            if hmac.compare_digest(known, digest):
                return tenant
        return None


def ensure_dev_key(data_dir: Path) -> str:
    """The embedded development key (tenant '*'), created on first use."""
    return _ensure_key(data_dir, DEV_KEY_FILE, KEYS_FILE, "kefu-dev-", "*")


def ensure_webchat_key(data_dir: Path, tenant: str) -> str:
    """The embedded web-chat key of ``tenant`` (chat and customer feedback only), created on first use."""
    return _ensure_key(data_dir, DEV_WEBCHAT_KEY_FILE, WEBCHAT_KEYS_FILE, "kefu-chat-", tenant)


def _ensure_key(data_dir: Path, key_file: str, keys_file: str, prefix: str, tenant: str) -> str:
    key_path = data_dir / key_file
    if key_path.exists():
        return key_path.read_text().strip()
    key = prefix + secrets.token_urlsafe(24)
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key)
    keys_path = data_dir / keys_file
    hashed = json.loads(keys_path.read_text()) if keys_path.exists() else {}
    hashed[hash_key(key)] = tenant
    keys_path.write_text(json.dumps(hashed, indent=1))
    return key
