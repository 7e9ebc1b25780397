"""Request dependencies shared by the API's routers."""

from collections.abc import Callable
from typing import Annotated

from fastapi import Header, HTTPException

from serving.auth import ApiKeys

TenantDependency = Callable[..., str]


def api_key_tenant(keys: ApiKeys) -> TenantDependency:
    """A dependency giving the tenant of the request's API key (``'*'`` = every tenant), or 401."""

    def tenant_of(
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> str:
        key = x_api_key or (authorization[7:] if authorization and authorization.startswith("Bearer ") else None)
        tenant = keys.tenant_of(key)
        if tenant is None:
            raise HTTPException(401, "missing or invalid API key (Authorization: Bearer <key> or X-API-Key)")
        return tenant

    return tenant_of
