"""Request dependencies shared by the API's routers: the authenticated principal, and its tenant.

Every route except ``/health``, ``/metrics``, the static pages (``/kpi``, ``/docs``) and the WeChat callback
(which WeChat signs) depends on :func:`principal_dependency`: it authenticates the API key or JWT (401) and
charges the caller's per-user token bucket (429 with ``Retry-After``).
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, HTTPException

from kefu.settings import Settings
from serving.api.metrics import RATE_LIMITED
from serving.auth import ApiKeys
from serving.principal import Authenticator, AuthError, JwtConfig, Principal
from serving.ratelimit import RateLimiter

PrincipalDependency = Callable[..., Principal]
TenantDependency = Callable[..., str]


def authenticator(settings: Settings, keys: ApiKeys) -> Authenticator:
    """API keys plus the JWT keys configured in the environment."""
    secret, public_key = settings.jwt_secret, settings.jwt_public_key
    return Authenticator(
        keys,
        JwtConfig(
            hs256_secret=secret.get_secret_value() if secret else None,
            rs256_public_key=public_key.get_secret_value() if public_key else None,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
        ),
    )


def user_limiter(settings: Settings) -> RateLimiter:
    return RateLimiter(
        settings.rate_limit_user_per_s, settings.rate_limit_user_burst, max_keys=settings.rate_limit_max_keys
    )


def principal_dependency(auth: Authenticator, limiter: RateLimiter | None = None) -> PrincipalDependency:
    """A dependency giving the request's :class:`Principal` (401 without valid credentials, 429 over the rate)."""

    def principal_of(
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> Principal:
        bearer = authorization[7:].strip() if authorization and authorization[:7].lower() == "bearer " else None
        try:
            principal = auth.authenticate(x_api_key or bearer)
        except AuthError as error:
            raise HTTPException(401, str(error), headers={"WWW-Authenticate": "Bearer"}) from None
        if limiter is not None:
            decision = limiter.take(f"{principal.tenant}/{principal.user}")
            if not decision.allowed:
                RATE_LIMITED.labels("user").inc()
                raise HTTPException(
                    429, "too many requests for this user", headers={"Retry-After": decision.retry_after_header}
                )
        return principal

    return principal_of


def tenant_dependency(principal_of: PrincipalDependency) -> TenantDependency:
    """The principal's tenant (``'*'`` = operator, every tenant); same authentication and rate limit."""

    def tenant_of(principal: Annotated[Principal, Depends(principal_of)]) -> str:
        return principal.tenant

    return tenant_of
