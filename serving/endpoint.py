"""One JSON ``POST`` route of a production model server (embeddings, rerank): auth, a deadline, one error type.

Every failure the caller could not have avoided (connection, timeout, an answer other than 200, a body it cannot
read) is raised as the caller's own error type, with a message that names the route.
"""

from __future__ import annotations

from typing import Any

import httpx


class EndpointClient:
    """``POST {base_url}/{route}`` with a bearer key (when given) and ``timeout_s``; failures raise ``error``."""

    def __init__(
        self,
        base_url: str,
        route: str,
        *,
        error: type[Exception],
        api_key: str | None = None,
        timeout_s: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.url = base_url.rstrip("/") + "/" + route
        self.error = error
        self._client = httpx.Client(headers=headers, timeout=timeout_s, transport=transport)

    def post(self, body: dict[str, Any]) -> httpx.Response:
        """The 200 answer to ``body``; a timeout, an unreachable server or any other status raises ``error``."""
        try:
            response = self._client.post(self.url, json=body)
        except httpx.TimeoutException as failure:
            raise self.error(f"{self.url} timed out after {self._client.timeout.read} s") from failure
        except httpx.HTTPError as failure:
            raise self.error(f"{self.url} unreachable: {failure}") from failure
        if response.status_code != 200:
            raise self.error(f"{self.url} answered {response.status_code}: {response.text[:200]}")
        return response

    def malformed(self, failure: Exception) -> Exception:
        """The error for an answer whose body could not be read (raise it ``from failure``)."""
        return self.error(f"{self.url} returned a malformed body: {failure!r}")

    def close(self) -> None:
        self._client.close()
