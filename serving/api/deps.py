"""Request dependencies shared by the API's routers."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Header, HTTPException

from serving.auth import ApiKeys

TenantDependency = Callable[..., str]


def _presented_key(authorization: str | None, x_api_key: str | None) -> str | None:
    return x_api_key or (authorization[7:] if authorization and authorization.startswith("Bearer ") else None)


def api_key_tenant(keys: ApiKeys) -> TenantDependency:
    """A dependency giving the tenant of the request's API key (``'*'`` = every tenant), or 401."""

    def tenant_of(
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> str:
        tenant = keys.tenant_of(_presented_key(authorization, x_api_key))
        if tenant is None:
            raise HTTPException(401, "missing or invalid API key (Authorization: Bearer <key> or X-API-Key)")
        return tenant

    return tenant_of


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's tenant (``'*'`` = every tenant) and whether it is a public web-chat key."""

    tenant: str
    webchat: bool


CallerDependency = Callable[..., Caller]


def chat_caller(keys: ApiKeys, webchat_keys: ApiKeys) -> CallerDependency:
    """A dependency accepting a full API key or a web-chat key (chat and customer feedback routes only), or 401."""

    def caller_of(
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> Caller:
        key = _presented_key(authorization, x_api_key)
        tenant = keys.tenant_of(key)
        if tenant is not None:
            return Caller(tenant, webchat=False)
        tenant = webchat_keys.tenant_of(key)
        if tenant is not None:
            return Caller(tenant, webchat=True)
        raise HTTPException(401, "missing or invalid API key (Authorization: Bearer <key> or X-API-Key)")

    return caller_of


def chat_key_tenant(caller_of: CallerDependency) -> TenantDependency:
    """The tenant of a chat caller (for routers that only need the tenant)."""

    def tenant_of(
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> str:
        return caller_of(authorization, x_api_key).tenant

    return tenant_of
