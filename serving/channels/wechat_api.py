"""WeChat's customer-service message API: bot replies that missed the 5 s callback window.

A WeChat callback must be answered within 5 s. When the bot is slower, the callback answers ``success`` (WeChat then
shows nothing and does not retry) and the reply goes out later by ``POST /cgi-bin/message/custom/send``, which WeChat
allows within 48 hours of the customer's last message. The access token comes from ``GET /cgi-bin/token``; it lives
about 7,200 s, is renewed a minute early, and at once when WeChat calls it invalid or expired. "System busy" and
transport errors are retried with exponential backoff; anything else WeChat refuses is raised with its code.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from kefu.settings import Settings
from serving.channels.wechat import MAX_REPLY_BYTES, truncate_utf8

__all__ = ["WeChatApiError", "WeChatMessenger", "send_counted", "wechat_messenger"]

log = logging.getLogger(__name__)

#: errcodes that mean the access token must be fetched again.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
#: errcode -1: "system busy, try again later".
BUSY = -1
#: Seconds before a token's stated expiry at which it is renewed anyway.
RENEW_EARLY_S = 60.0


class WeChatApiError(Exception):
    """WeChat refused a call (``errcode``/``errmsg``) or could not be reached."""

    def __init__(self, message: str, errcode: int | None = None) -> None:
        super().__init__(message)
        self.errcode = errcode


@dataclass
class _Token:
    value: str
    expires_at: float


class WeChatMessenger:
    """Sends text messages to a WeChat user (openid) through the customer-service message API.

    Parameters
    ----------
    app_id, app_secret
        The Official Account's credentials.
    base_url
        ``https://api.weixin.qq.com`` in production.
    timeout_s
        Per HTTP call.
    attempts, backoff_s
        Tries for a busy WeChat or a transport error, waiting ``backoff_s * 2**n`` between them.
    """

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        base_url: str,
        *,
        timeout_s: float = 5.0,
        attempts: int = 3,
        backoff_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._app_id, self._app_secret = app_id, app_secret
        self._base_url = base_url.rstrip("/")
        self._timeout_s, self._attempts, self._backoff_s = timeout_s, attempts, backoff_s
        self._clock = clock
        self._token: _Token | None = None
        self._token_lock = asyncio.Lock()

    async def send_text(self, openid: str, text: str) -> None:
        """Send ``text`` (cut to WeChat's size on a character boundary) to ``openid``; raises WeChatApiError."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": truncate_utf8(text, MAX_REPLY_BYTES)}}
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")  # WeChat shows \\u escapes literally
        async with httpx.AsyncClient(base_url=self._base_url, timeout=self._timeout_s) as client:
            renewed, failures = False, 0
            while True:
                token = await self._access_token(client)
                try:
                    await self._call(
                        client,
                        "POST",
                        "/cgi-bin/message/custom/send",
                        params={"access_token": token},
                        content=payload,
                        headers={"Content-Type": "application/json; charset=utf-8"},
                    )
                    return
                except WeChatApiError as error:
                    if error.errcode in TOKEN_ERRORS and not renewed:
                        renewed, self._token = True, None  # the next try fetches a new token
                        continue
                    failures += 1
                    if error.errcode not in (None, BUSY) or failures >= self._attempts:
                        raise
                await asyncio.sleep(self._backoff_s * 2 ** (failures - 1))

    async def _access_token(self, client: httpx.AsyncClient) -> str:
        async with self._token_lock:
            token = self._token
            if token is not None and self._clock() < token.expires_at:
                return token.value
            answer = await self._call(
                client,
                "GET",
                "/cgi-bin/token",
                params={"grant_type": "client_credential", "appid": self._app_id, "secret": self._app_secret},
            )
            value, lifetime = answer.get("access_token"), answer.get("expires_in", 7200)
            if not isinstance(value, str) or not value:
                raise WeChatApiError("WeChat's token answer has no access_token")
            self._token = _Token(value, self._clock() + max(float(lifetime) - RENEW_EARLY_S, 1.0))
            return value

    async def _call(self, client: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise WeChatApiError(f"WeChat API unreachable: {type(error).__name__}") from None
        if response.status_code != 200:
            raise WeChatApiError(f"WeChat API answered HTTP {response.status_code}", BUSY)
        try:
            answer = response.json()
        except ValueError:
            raise WeChatApiError("WeChat API answered something that is not JSON") from None
        if not isinstance(answer, dict):
            raise WeChatApiError("WeChat API answered something that is not a JSON object")
        errcode = answer.get("errcode", 0)
        if errcode:
            raise WeChatApiError(f"WeChat refused {path}: {errcode} {answer.get('errmsg', '')}", int(errcode))
        return answer


def wechat_messenger(settings: Settings) -> WeChatMessenger | None:
    """The messenger of ``KEFU_WECHAT_APP_ID`` / ``KEFU_WECHAT_APP_SECRET``, or None when they are not set."""
    secret = settings.wechat_app_secret
    if not settings.wechat_app_id or secret is None:
        return None
    return WeChatMessenger(settings.wechat_app_id, secret.get_secret_value(), settings.wechat_api_url)


async def send_counted(
    messenger: WeChatMessenger | None, openid: str, text: str, *, count: Callable[[str], None], what: str
) -> None:
    """Send ``text`` to ``openid`` without raising: ``count`` gets ``sent``, ``failed`` or ``not_configured`` and the
    two last are logged with ``what`` (e.g. "late reply to wechat:42")."""
    if messenger is None:
        count("not_configured")
        log.warning("%s not sent to WeChat: set KEFU_WECHAT_APP_ID and KEFU_WECHAT_APP_SECRET", what)
        return
    try:
        await messenger.send_text(openid, text)
    except WeChatApiError as error:
        count("failed")
        log.warning("%s not sent to WeChat: %s", what, error)
        return
    count("sent")
