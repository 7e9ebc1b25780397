"""Schemathesis fuzzes the running API from its own ``/openapi.json``: no request gets a server error or a status
the document does not name.

The platform is the embedded one (real broker, registry, store), started for this module with the WeChat channel
on (so its signature check is reached), rate limits out of the way (so requests reach the handlers) and a short
chat timeout: the responder is off, so a well-formed chat request waits for a reply that never comes and gets the
documented 504. Every route is tried with examples, schema-valid and schema-breaking bodies and parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import status_code_conformance

from tests.integration.conftest import Platform, start_platform, stop_platform

pytestmark = pytest.mark.slow

FUZZED_ENV = {
    "KEFU_WECHAT_TOKEN": "kefu-fuzz-token",
    "KEFU_CHAT_REPLY_TIMEOUT_S": "1",
    "KEFU_AGENT_FEED_WAIT_S": "0.2",  # the agents' message feed long-polls; the fuzzer asks it to wait
    "KEFU_RATE_LIMIT_USER_PER_S": "100000",
    "KEFU_RATE_LIMIT_USER_BURST": "100000",
    "KEFU_RATE_LIMIT_IP_PER_S": "100000",
    "KEFU_RATE_LIMIT_IP_BURST": "100000",
}
schemathesis.serializer.alias("message/rfc822", "application/octet-stream")  # the e-mail route's raw message

#: Server statuses this platform may answer with by design: the chat route's reply timeout (responder off).
EXPECTED_SERVER_STATUSES = {("POST", "/v1/chat/completions"): {504}}
EXAMPLES = 50  # per operation and mode: ~1,600 requests in all


@pytest.fixture(scope="module")
def fuzzed_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    running = start_platform(Path(tmp_path_factory.mktemp("kefu-fuzz")), **FUZZED_ENV)
    yield running
    stop_platform(running)


def fuzz(operation: Any, mode: GenerationMode, platform: Platform) -> None:
    """Up to ``EXAMPLES`` generated requests to one operation; the first one that fails is raised."""
    headers = {"Authorization": f"Bearer {platform.status['api_key']}"}
    allowed = EXPECTED_SERVER_STATUSES.get((operation.method.upper(), operation.path), set())

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=(Phase.explicit, Phase.generate),  # no shrinking: the failing request is reported as sent
        suppress_health_check=list(HealthCheck),
    )
    def request(case: Any) -> None:
        response = case.call(headers=headers, timeout=30)
        assert response.status_code < 500 or response.status_code in allowed, (
            f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
        )
        case.validate_response(response, checks=[status_code_conformance])

    request()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_request_gets_a_server_error_or_an_undocumented_status(
    fuzzed_platform: Platform, mode: GenerationMode
) -> None:
    document = schemathesis.openapi.from_url(f"{fuzzed_platform.status['http']}/openapi.json")
    operations = [result.ok() for result in document.get_all_operations()]
    assert len(operations) >= 16  # every documented route, so a broken document cannot pass by having none
    failures: list[str] = []
    fuzzed = 0
    for operation in operations:
        try:
            fuzz(operation, mode, fuzzed_platform)
            fuzzed += 1
        except Unsatisfiable:
            continue  # nothing to vary in this mode (a route without parameters or body has no invalid request)
        except AssertionError as error:  # schemathesis' check failures are AssertionErrors too
            failures.append(f"{operation.method.upper()} {operation.path}: {error}"[:1500])
    assert not failures, "\n\n".join(failures)
    assert fuzzed >= 10
