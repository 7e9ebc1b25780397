"""Request dependencies shared by the API's routers: the authenticated principal, and its tenant.

Every route except ``/health``, ``/metrics``, the static pages (``/kpi``, ``/chat``, ``/docs``) and the WeChat
callback (which WeChat signs) depends on :func:`principal_dependency` or, for the web chat's routes,
:func:`chat_caller`: they authenticate the API key or JWT (401) and charge the caller's per-user token bucket
(429 with ``Retry-After``). A public web-chat key is accepted by the chat routes only; all browsers share it, so
it has no per-user bucket: the per-IP bucket of :class:`serving.api.limits.RequestLimits` limits them.
"""

from collections.abc import Callable
from dataclasses import dataclass
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


def _presented_credential(authorization: str | None, x_api_key: str | None) -> str | None:
    bearer = authorization[7:].strip() if authorization and authorization[:7].lower() == "bearer " else None
    return x_api_key or bearer


def _authenticate(auth: Authenticator, credential: str | None, limiter: RateLimiter | None) -> Principal:
    """The principal of an API key or JWT (401 otherwise), charged to its per-user bucket (429 when empty)."""
    try:
        principal = auth.authenticate(credential)
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


WEBCHAT_KEY_REFUSED = (
    "this is a public web-chat key: it may call /v1/chat/completions, /v1/conversations/{id}/messages and "
    "/v1/feedback only; this route needs a full API key or a JWT"
)


def principal_dependency(
    auth: Authenticator, limiter: RateLimiter | None = None, webchat_keys: ApiKeys | None = None
) -> PrincipalDependency:
    """A dependency giving the request's :class:`Principal` (401 without valid credentials, 429 over the rate).

    A public web-chat key (``webchat_keys``) is valid, just not here: 403 saying which routes take it.
    """

    def principal_of(
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> Principal:
        credential = _presented_credential(authorization, x_api_key)
        if webchat_keys is not None and credential and webchat_keys.tenant_of(credential) is not None:
            raise HTTPException(403, WEBCHAT_KEY_REFUSED)
        return _authenticate(auth, credential, limiter)

    return principal_of


def tenant_dependency(principal_of: PrincipalDependency) -> TenantDependency:
    """The principal's tenant (``'*'`` = operator, every tenant); same authentication and rate limit."""

    def tenant_of(principal: Annotated[Principal, Depends(principal_of)]) -> str:
        return principal.tenant

    return tenant_of


@dataclass(frozen=True)
class Caller:
    """Who is calling a chat route: the tenant (``'*'`` = every tenant) and whether it holds a public web-chat key."""

    tenant: str
    webchat: bool


CallerDependency = Callable[..., Caller]


def chat_caller(auth: Authenticator, webchat_keys: ApiKeys, limiter: RateLimiter | None = None) -> CallerDependency:
    """A dependency accepting a web-chat key (chat and customer feedback routes only) or an API key / JWT, or 401."""

    def caller_of(
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> Caller:
        credential = _presented_credential(authorization, x_api_key)
        webchat_tenant = webchat_keys.tenant_of(credential)
        if webchat_tenant is not None:
            return Caller(webchat_tenant, webchat=True)
        return Caller(_authenticate(auth, credential, limiter).tenant, webchat=False)

    return caller_of


def chat_key_tenant(caller_of: CallerDependency) -> TenantDependency:
    """The tenant of a chat caller (for routers that only need the tenant)."""

    def tenant_of(caller: Annotated[Caller, Depends(caller_of)]) -> str:
        return caller.tenant

    return tenant_of
