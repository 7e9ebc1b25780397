"""``GET /docs``: the API's Swagger UI, served from the ``swagger-ui-bundle-v2`` package instead of a CDN.

FastAPI's own ``/docs`` page loads Swagger UI from cdn.jsdelivr.net, so on a machine without internet (the embedded
default, an air-gapped contact center) it is a blank page. The page, its script and its stylesheet come from this
process; the OpenAPI document is ``/openapi.json`` as before. Open routes, like the other static pages.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}


def _assets_dir() -> Path:
    from swagger_ui_bundle import swagger_ui_path

    return Path(str(swagger_ui_path))


def api_docs_router(title: str, openapi_url: str = "/openapi.json") -> APIRouter:
    router = APIRouter()

    @router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} - Swagger UI",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="data:,",  # no request to fastapi.tiangolo.com for an icon
        )

    @router.get("/docs/assets/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise HTTPException(404, "no such asset")
        return FileResponse(_assets_dir() / name, media_type=ASSETS[name], headers={"Cache-Control": "max-age=86400"})

    return router
