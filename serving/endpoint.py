"""One ``POST`` route of a production model server (chat, embeddings, rerank): auth, deadlines, retries, one error.

Every failure the caller could not have avoided (connection, timeout, an answer other than 200, a body it cannot
read) is described by an ``EndpointFailure`` (the route, a short machine-readable reason, a message) and raised as
the caller's own error type. With an ``EndpointRetry``, 408/425/429/5xx answers, timeouts and connection errors are
retried with exponential backoff, honouring ``Retry-After``, but never past the deadline the caller gives: a try
that could not finish in time is not started. A stream is retried only before its first item.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class EndpointFailure:
    """Why a call to ``url`` failed: ``reason`` is ``timeout``, ``connect``, ``transport``, ``http_<status>`` or
    ``malformed``; ``message`` names the route and says what happened."""

    url: str
    reason: str
    message: str
    status: int | None = None

    def __str__(self) -> str:
        return self.message


def raising(error: type[Exception]) -> Callable[[EndpointFailure], Exception]:
    """The error factory for an error type built from a message alone (``EmbedderError``, ``RerankerError``)."""
    return lambda failure: error(failure.message)


@dataclass(frozen=True)
class EndpointRetry:
    """``retries`` more HTTP tries after the first, waiting ``backoff_s * 2**n`` (at most ``max_backoff_s``) or as
    long as the server's ``Retry-After`` asks (at most ``max_retry_after_s``), whichever is longer.

    One request's transport-level retries; the responder's whole-answer attempts (with jitter and a deadline
    across model profiles) are ``processors.responder.routing.RetryPolicy``."""

    retries: int = 0
    backoff_s: float = 0.5
    max_backoff_s: float = 8.0
    max_retry_after_s: float = 30.0

    def delay_s(self, retry: int, retry_after_s: float | None) -> float:
        backoff = min(self.backoff_s * 2.0**retry, self.max_backoff_s)
        return max(backoff, min(retry_after_s or 0.0, self.max_retry_after_s))


NO_RETRIES = EndpointRetry()


class EndpointClient:
    """``POST {base_url}/{route}`` with a bearer key (when given), timeouts and ``retry``; failures raise
    ``error(failure)``."""

    def __init__(
        self,
        base_url: str,
        route: str,
        *,
        error: Callable[[EndpointFailure], Exception],
        api_key: str | None = None,
        timeout_s: float,
        connect_timeout_s: float | None = None,
        retry: EndpointRetry = NO_RETRIES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + "/" + route
        self.error = error
        self.retry = retry
        timeout = httpx.Timeout(timeout_s, connect=connect_timeout_s if connect_timeout_s is not None else timeout_s)
        self._client = httpx.Client(headers=headers, timeout=timeout, transport=transport)

    def post(self, body: dict[str, Any], *, within_s: float | None = None) -> httpx.Response:
        """The 200 answer to ``body``; what stays unanswered after the retries (or ``within_s``) raises."""
        for attempt in self._attempts(within_s):
            try:
                response = self._client.post(self.url, json=body)
            except httpx.TransportError as failure:
                attempt.failed(self._transport_failure(failure))
                continue
            if response.status_code == 200:
                return response
            attempt.failed(self._status_failure(response), response.headers)
        raise AssertionError("unreachable: _attempts raises when spent")

    def stream(
        self, body: dict[str, Any], read: Callable[[Iterator[str]], Iterator[T]], *, first_within_s: float | None = None
    ) -> Iterator[T]:
        """The items ``read`` makes of the answer's lines, retried until the first item comes.

        The first item must come within ``first_within_s`` of the call (retries, waits and keep-alive lines
        included), else the call raises a ``timeout`` failure and hangs up. Once an item was yielded, a broken
        connection raises instead of retrying: half an answer cannot be continued transparently.
        """
        started = time.monotonic()
        for attempt in self._attempts(first_within_s):
            try:
                with self._client.stream("POST", self.url, json=body) as response:
                    if response.status_code != 200:
                        response.read()
                        attempt.failed(self._status_failure(response), response.headers)
                        continue
                    lines = response.iter_lines()
                    if first_within_s is not None:
                        lines = self._first_within(lines, attempt, started, first_within_s)
                    for item in read(lines):
                        attempt.answering = True
                        yield item
                    return
            except httpx.TransportError as failure:
                broke = self._transport_failure(failure)
                if attempt.answering:
                    raise self.error(EndpointFailure(self.url, broke.reason, f"stream broke: {broke}")) from failure
                attempt.failed(broke)
        raise AssertionError("unreachable: _attempts raises when spent")

    def answers(self, path: str, timeout_s: float = 2.0) -> bool:
        """Whether ``GET {base_url}/{path}`` answers at all (any status below 500)."""
        try:
            return self._client.get(f"{self.base_url}/{path}", timeout=timeout_s).status_code < 500
        except httpx.HTTPError:
            return False

    def malformed(self, failure: Exception) -> Exception:
        """The error for an answer whose body could not be read (raise it ``from failure``)."""
        return self.error(EndpointFailure(self.url, "malformed", f"{self.url} returned a malformed body: {failure!r}"))

    def close(self) -> None:
        self._client.close()

    # -- helpers -------------------------------------------------------------------------------------------
    def _attempts(self, within_s: float | None) -> Iterator[_Attempt]:
        """One ``_Attempt`` per try; raises the last failure when the retries are spent or the next try would
        start after ``within_s``. Unretryable failures (4xx other than 408/425/429, malformed) raise at once."""
        started = time.monotonic()
        for n in range(self.retry.retries + 1):
            attempt = _Attempt()
            yield attempt
            failure = attempt.failure
            if failure is None:
                return
            if not attempt.retryable or n == self.retry.retries:
                break
            delay = self.retry.delay_s(n, attempt.retry_after_s)
            if within_s is not None and time.monotonic() - started + delay >= within_s:
                log.warning("%s; no retry: waiting %.1fs would pass the %.1fs deadline", failure, delay, within_s)
                break
            log.warning("%s; retry %d/%d in %.1fs", failure, n + 1, self.retry.retries, delay)
            time.sleep(delay)
        assert failure is not None
        raise self.error(failure)

    def _first_within(self, lines: Iterator[str], attempt: _Attempt, started: float, within_s: float) -> Iterator[str]:
        """``lines``, raising a ``timeout`` failure at a line that comes past ``within_s`` before the first item
        (keep-alive comments do not reset the clock; a silent server is the read timeout's)."""
        for line in lines:
            if not attempt.answering and time.monotonic() - started > within_s:
                message = f"{self.url} sent no first token within {within_s:.1f} s"
                raise self.error(EndpointFailure(self.url, "timeout", message))
            yield line

    def _transport_failure(self, failure: httpx.TransportError) -> EndpointFailure:
        if isinstance(failure, httpx.TimeoutException):
            return EndpointFailure(self.url, "timeout", f"{self.url} timed out after {self._client.timeout.read} s")
        reason = "connect" if isinstance(failure, httpx.ConnectError) else "transport"
        return EndpointFailure(self.url, reason, f"{self.url} unreachable: {failure}")

    def _status_failure(self, response: httpx.Response) -> EndpointFailure:
        status = response.status_code
        message = f"{self.url} answered {status}: {response.text[:200]}"
        return EndpointFailure(self.url, f"http_{status}", message, status)


class _Attempt:
    """What went wrong with one try, read by the retry loop."""

    def __init__(self) -> None:
        self.failure: EndpointFailure | None = None
        self.answering = False
        """Whether the stream yielded an item: from then on it is not retried."""
        self.retryable = False
        self.retry_after_s: float | None = None

    def failed(self, failure: EndpointFailure, headers: httpx.Headers | None = None) -> None:
        self.failure = failure
        if failure.status is not None:
            self.retryable = failure.status in RETRY_STATUS
        else:
            self.retryable = failure.reason in ("timeout", "connect", "transport")
        if headers is not None and "retry-after" in headers:
            try:
                self.retry_after_s = float(headers["retry-after"])
            except ValueError:  # an HTTP date: rare from model servers, the backoff applies
                self.retry_after_s = None
