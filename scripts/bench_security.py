"""Cost of the security steps per call, as JSON (`python scripts/bench_security.py`).

Authentication (API key, HS256 JWT), a rate-limit decision, a dead letter's redaction, and a masked log record,
each timed over many calls with the same-run reference of an unmasked log record.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import jwt

from kefu import redacting_logs
from processors.pii.redact import redact_bytes
from serving.auth import ApiKeys, hash_key
from serving.principal import Authenticator, JwtConfig
from serving.ratelimit import RateLimiter

SECRET = "b" * 48


def per_call_us(function: Callable[[], object], calls: int) -> float:
    function()
    started = time.perf_counter()
    for _ in range(calls):
        function()
    return round((time.perf_counter() - started) / calls * 1e6, 2)


def main() -> None:
    keys = ApiKeys({hash_key(f"key-{i}"): f"t{i}" for i in range(100)})
    auth = Authenticator(keys, JwtConfig(hs256_secret=SECRET))
    token = jwt.encode({"tenant": "acme", "sub": "u", "exp": int(time.time()) + 3600}, SECRET, algorithm="HS256")
    limiter = RateLimiter(1e9, 10**9)
    poison = ("我的手机13912345678，身份证110105199001011237，邮箱a.b@example.com " * 20).encode() + b"\xff"
    logger = logging.getLogger("bench")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    message = "dead letter %s/%d/%d: %s: %s"
    args = ("conversations.inbound", 3, 1234, "undecodable", "not Confluent wire format")
    plain_log = per_call_us(lambda: logger.warning(message, *args), 20_000)
    redacting_logs.install()
    masked_log = per_call_us(lambda: logger.warning(message, *args), 5_000)
    print(
        json.dumps(
            {
                "api_key_auth_us": per_call_us(lambda: auth.authenticate("key-99"), 20_000),
                "jwt_hs256_auth_us": per_call_us(lambda: auth.authenticate(token), 20_000),
                "rate_limit_take_us": per_call_us(lambda: limiter.take("tenant/user"), 100_000),
                "dead_letter_preview_us": per_call_us(lambda: redact_bytes(poison), 2_000),
                "dead_letter_preview_input_bytes": len(poison),
                "log_record_us_plain": plain_log,
                "log_record_us_masked": masked_log,
            }
        )
    )


if __name__ == "__main__":
    main()
