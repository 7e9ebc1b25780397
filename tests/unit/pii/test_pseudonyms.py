"""Customer ids that are personal data become keyed pseudonyms; other ids pass unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from kefu.key_files import pseudonym_key
from kefu.settings import Settings
from processors.pii import PSEUDONYM_PREFIX, IdentifierPseudonymizer
from serving.channels.feedback import feedback_to_record
from streams.enricher import build_enrichment_pipeline

KEY = b"0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    "identifier",
    [
        "13812345678",  # a mobile number as the id
        "u13812345678",  # glued to a prefix, as ids are written
        "wx_13812345678",
        "tel:+8613812345678",
        "li.lei@example.com",
        "110101199003074514",  # a resident ID with its check digit
        "E12345678",  # a passport number
    ],
)
def test_an_id_carrying_personal_data_becomes_a_pseudonym_without_its_digits(identifier: str) -> None:
    pseudonym = IdentifierPseudonymizer(KEY)("acme", identifier)
    assert pseudonym.startswith(PSEUDONYM_PREFIX) and len(pseudonym) == len(PSEUDONYM_PREFIX) + 24
    assert identifier not in pseudonym and "12345678" not in pseudonym


@pytest.mark.parametrize(
    "identifier",
    ["user-4213", "customer:c1", "oXyz_123abcDEF456ghi789", "order-2024052112345678", "u1", "agent:c-refund"],
)
def test_an_id_without_personal_data_stays_as_it_is(identifier: str) -> None:
    assert IdentifierPseudonymizer(KEY)("acme", identifier) == identifier


def test_pseudonyms_are_stable_per_key_and_tenant_and_never_pseudonymised_twice() -> None:
    pseudonyms = IdentifierPseudonymizer(KEY)
    one = pseudonyms("acme", "13812345678")
    assert one == pseudonyms("acme", "13812345678") == IdentifierPseudonymizer(KEY)("acme", "13812345678")
    assert one != pseudonyms("acme", "13812345679")  # another customer
    assert one != pseudonyms("other", "13812345678")  # tenants cannot join their customers by pseudonym
    assert one != IdentifierPseudonymizer(b"another key of 32 bytes at least")("acme", "13812345678")
    assert pseudonyms("acme", one) == one


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        IdentifierPseudonymizer(b"short")


def test_the_api_and_the_workers_of_one_data_dir_give_a_customer_the_same_pseudonym(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    pipeline = build_enrichment_pipeline(settings)  # what each worker runs
    api_side = IdentifierPseudonymizer(pseudonym_key(settings))  # what the API builds (serving.api.app)
    body = {"conversation_id": "c1", "user_id": "13812345678", "csat": 5}
    feedback = feedback_to_record(body, tenant="acme", agent_allowed=False, now_ms=1, pseudonyms=api_side)
    message = {
        "event_id": "e1", "conversation_id": "c1", "tenant_id": "acme", "channel": "web", "user_id": "13812345678",
        "role": "customer", "text": "我的快递到哪了", "ts": 1, "locale": "zh-CN", "metadata": {}, "attachments": None,
    }  # fmt: skip
    [enriched] = pipeline([message])
    assert enriched is not None and enriched["user_id"] == feedback["user_id"] != "13812345678"
    assert oct((tmp_path / "pseudonym.key").stat().st_mode & 0o777) == "0o600"
    configured = Settings(data_dir=tmp_path, pseudonym_key=SecretStr("a production key of 32 characters"))
    assert IdentifierPseudonymizer(pseudonym_key(configured))("acme", "13812345678") != feedback["user_id"]
