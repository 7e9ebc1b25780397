"""Who is calling: API keys (SHA-256 hashes per tenant) or JWTs (HS256 secret / RS256 public key from the environment).

Every authenticated HTTP route gets a :class:`Principal`. A JWT is recognised by its shape (three base64url parts);
anything else is looked up as an API key. JWT claims: ``tenant`` (one tenant; ``*`` is refused: operators use API
keys), ``sub`` (the user, for per-user rate limits), ``exp`` (required), and ``aud`` / ``iss`` when configured.

>>> from serving.auth import ApiKeys, hash_key
>>> auth = Authenticator(ApiKeys({hash_key("k1"): "acme"}))
>>> auth.authenticate("k1")
Principal(tenant='acme', user='key:6ab9f1eb', kind='api_key')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import jwt

from serving.auth import ApiKeys, hash_key

OPERATOR = "*"
_JWT_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_TENANT_SHAPE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


class AuthError(ValueError):
    """The credentials are missing, malformed, expired or not signed by a key we trust; the message says which."""


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: its tenant (``*`` = operator, every tenant), user id, and how it proved it."""

    tenant: str
    user: str
    kind: Literal["api_key", "jwt"]

    @property
    def is_operator(self) -> bool:
        return self.tenant == OPERATOR

    def may_act_for(self, tenant: str) -> bool:
        return self.is_operator or self.tenant == tenant


@dataclass(frozen=True, slots=True)
class JwtConfig:
    """Keys and expected claims; ``hs256_secret`` and/or ``rs256_public_key`` (PEM)."""

    hs256_secret: str | None = None
    rs256_public_key: str | None = None
    audience: str | None = None
    issuer: str | None = None
    leeway_s: float = 30.0

    @property
    def enabled(self) -> bool:
        return bool(self.hs256_secret or self.rs256_public_key)


class Authenticator:
    """Turns a presented credential into a :class:`Principal`, or raises :class:`AuthError`."""

    def __init__(self, keys: ApiKeys, jwt_config: JwtConfig | None = None) -> None:
        self.keys = keys
        self.jwt = jwt_config or JwtConfig()
        self._jwt_keys: dict[str, str] = {}
        if self.jwt.hs256_secret:
            if len(self.jwt.hs256_secret.encode()) < 32:
                raise ValueError("KEFU_JWT_SECRET must be at least 32 bytes (RFC 7518 3.2)")
            self._jwt_keys["HS256"] = self.jwt.hs256_secret
        if self.jwt.rs256_public_key:
            self._jwt_keys["RS256"] = self.jwt.rs256_public_key

    def authenticate(self, credential: str | None) -> Principal:
        if not credential:
            raise AuthError("missing credentials (Authorization: Bearer <API key or JWT>, or X-API-Key)")
        if _JWT_SHAPE.match(credential):
            return self._from_jwt(credential)
        tenant = self.keys.tenant_of(credential)
        if tenant is None:
            raise AuthError("invalid API key")
        return Principal(tenant, f"key:{hash_key(credential)[:8]}", "api_key")

    def _from_jwt(self, token: str) -> Principal:
        if not self._jwt_keys:
            raise AuthError("JWTs are not accepted here (no KEFU_JWT_SECRET or KEFU_JWT_PUBLIC_KEY)")
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError as error:
            raise AuthError(f"malformed JWT: {error}") from None
        key = self._jwt_keys.get(str(algorithm))
        if key is None:  # never let the token pick an algorithm we did not configure (e.g. none, or HS256 vs RS256)
            raise AuthError(f"JWT algorithm {algorithm!r} is not accepted (accepted: {', '.join(self._jwt_keys)})")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[str(algorithm)],
                audience=self.jwt.audience,
                issuer=self.jwt.issuer,
                leeway=self.jwt.leeway_s,
                options={"require": ["exp", "sub", "tenant"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("JWT has expired") from None
        except jwt.PyJWTError as error:
            raise AuthError(f"JWT rejected: {error}") from None
        tenant, user = claims["tenant"], claims["sub"]
        if not isinstance(tenant, str) or not _TENANT_SHAPE.match(tenant) or tenant == OPERATOR:
            raise AuthError("JWT tenant claim must name one tenant (operators use API keys)")
        if not isinstance(user, str) or not user:
            raise AuthError("JWT sub claim must be a non-empty string")
        return Principal(tenant, f"jwt:{user}", "jwt")
