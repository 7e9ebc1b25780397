"""One error body for every route: ``{"error": "..."}``, as Kefu's own handlers answer.

FastAPI answers its own errors (401, 403 and 404 raised as ``HTTPException``, 422 for a bad query parameter or
header) with ``{"detail": ...}``, while Kefu's handlers answer ``{"error": ...}``; a client had to read both. These
handlers add ``error`` (a sentence) to FastAPI's answers and keep ``detail`` as it was, so existing clients keep
working. The chat route keeps OpenAI's ``{"error": {"message", "type", ...}}``, which OpenAI's clients read.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

__all__ = ["answer_errors_alike"]


def answer_errors_alike(app: FastAPI) -> None:
    """Install the handlers on ``app``."""

    async def http_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        body = {"error": str(error.detail), "detail": error.detail}
        return JSONResponse(body, status_code=error.status_code, headers=error.headers)

    async def invalid_parameters(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        problems = [f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()]
        detail = jsonable_encoder(error.errors(), custom_encoder={Exception: str})  # a ctx value may be an exception
        body = {"error": "; ".join(problems) or "invalid request", "detail": detail}
        return JSONResponse(body, status_code=422)

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_parameters)
