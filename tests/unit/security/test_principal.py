"""Authentication: API keys and JWTs (HS256 secret, RS256 public key) become a Principal, or an AuthError."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from serving.auth import ApiKeys, hash_key
from serving.principal import Authenticator, AuthError, JwtConfig, Principal

SECRET = "s" * 40
OTHER_SECRET = "t" * 40
KEYS = ApiKeys({hash_key("acme-key"): "acme", hash_key("ops-key"): "*"})


def token(claims: dict[str, Any] | None = None, secret: str = SECRET, **headers: Any) -> str:
    body = {"tenant": "acme", "sub": "alice", "exp": int(time.time()) + 300, **(claims or {})}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, secret, algorithm="HS256", headers=headers)


def hs256(**config: Any) -> Authenticator:
    return Authenticator(KEYS, JwtConfig(hs256_secret=SECRET, **config))


def rejected(auth: Authenticator, credential: str | None) -> str:
    with pytest.raises(AuthError) as caught:
        auth.authenticate(credential)
    return str(caught.value)


def test_an_api_key_is_its_tenant_with_a_pseudonymous_user() -> None:
    principal = hs256().authenticate("acme-key")
    assert principal == Principal("acme", f"key:{hash_key('acme-key')[:8]}", "api_key")
    assert not principal.is_operator
    assert hs256().authenticate("ops-key").is_operator


def test_a_valid_hs256_jwt_is_its_tenant_and_user() -> None:
    principal = hs256().authenticate(token())
    assert (principal.tenant, principal.user, principal.kind) == ("acme", "jwt:alice", "jwt")
    assert principal.may_act_for("acme") and not principal.may_act_for("globex")


def test_an_expired_jwt_is_refused_beyond_the_leeway_only() -> None:
    assert "expired" in rejected(hs256(), token({"exp": int(time.time()) - 120}))
    assert hs256().authenticate(token({"exp": int(time.time()) - 5})).tenant == "acme"  # 30 s clock skew


def test_a_jwt_signed_with_another_secret_is_refused() -> None:
    assert "Signature verification failed" in rejected(hs256(), token(secret=OTHER_SECRET))


def test_a_tampered_jwt_payload_is_refused() -> None:
    header, _, signature = token().split(".")
    forged_payload = token({"tenant": "globex"}).split(".")[1]
    assert "Signature" in rejected(hs256(), f"{header}.{forged_payload}.{signature}")


@pytest.mark.parametrize("missing", ["exp", "sub", "tenant"])
def test_a_jwt_without_a_required_claim_is_refused(missing: str) -> None:
    assert missing in rejected(hs256(), token({missing: None}))


@pytest.mark.parametrize("tenant", ["*", "", "a b", 7])
def test_a_jwt_cannot_claim_every_tenant_or_a_malformed_one(tenant: Any) -> None:
    assert "tenant claim" in rejected(hs256(), token({"tenant": tenant}))


def test_the_none_algorithm_is_refused() -> None:
    unsigned = jwt.encode({"tenant": "acme", "sub": "x", "exp": int(time.time()) + 60}, None, algorithm="none")
    assert "not accepted" in rejected(hs256(), unsigned)


def test_audience_and_issuer_are_checked_when_configured() -> None:
    auth = hs256(audience="kefu", issuer="https://idp.example")
    good = token({"aud": "kefu", "iss": "https://idp.example"})
    assert auth.authenticate(good).tenant == "acme"
    assert "audience" in rejected(auth, token({"aud": "other", "iss": "https://idp.example"})).lower()
    assert "issuer" in rejected(auth, token({"aud": "kefu", "iss": "https://evil.example"})).lower()


def test_jwts_are_refused_when_no_jwt_key_is_configured() -> None:
    assert "not accepted here" in rejected(Authenticator(KEYS), token())


def test_missing_or_unknown_credentials_are_refused() -> None:
    assert "missing" in rejected(hs256(), None)
    assert "invalid API key" in rejected(hs256(), "guess")


def test_a_short_hs256_secret_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Authenticator(KEYS, JwtConfig(hs256_secret="short"))


@pytest.fixture(scope="module")
def rsa_pair() -> tuple[rsa.RSAPrivateKey, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public_pem.decode()


def test_rs256_jwts_verify_with_the_public_key(rsa_pair: tuple[rsa.RSAPrivateKey, str]) -> None:
    private, public_pem = rsa_pair
    auth = Authenticator(KEYS, JwtConfig(rs256_public_key=public_pem))
    signed = jwt.encode({"tenant": "globex", "sub": "bob", "exp": int(time.time()) + 60}, private, algorithm="RS256")
    assert auth.authenticate(signed) == Principal("globex", "jwt:bob", "jwt")


def test_an_hs256_token_keyed_with_the_rs256_public_key_is_refused(rsa_pair: tuple[rsa.RSAPrivateKey, str]) -> None:
    """Algorithm confusion: the public key is public, so it must never serve as an HMAC secret."""
    _, public_pem = rsa_pair
    auth = Authenticator(KEYS, JwtConfig(rs256_public_key=public_pem))
    header = '{"alg":"HS256","typ":"JWT"}'
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    payload = json.dumps({"tenant": "acme", "sub": "eve", "exp": int(time.time()) + 60}).encode()
    signing_input = f"{b64(header.encode())}.{b64(payload)}"
    signature = hmac.new(public_pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    assert "not accepted" in rejected(auth, f"{signing_input}.{b64(signature)}")
