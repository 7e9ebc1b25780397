"""Dead letters carry no unmasked byte: planted identifiers in malformed records stay out of the deadletter topic."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import pytest

from processors.pii.redact import redact_bytes, redact_text
from tests.planted import found_plants, planted_identifiers, planted_text
from tests.unit.test_inbound_stage import Codecs, decoded_dead_letter, event, record

PLANTS = planted_identifiers(8)


def poison_records(codecs: Codecs) -> dict[str, bytes]:
    text = planted_text(PLANTS)
    good = codecs.inbound.encode(event(text=text, metadata={"contact": PLANTS["PHONE"]}))
    return {
        "json_not_avro": json.dumps({"text": text}, ensure_ascii=False).encode(),
        "truncated_avro": good[:-3],
        "plain_text": text.encode(),
        "invalid_utf8": text.encode() + b"\xff\xfe",
        "oversized_valid_avro": codecs.inbound.encode(event(text=text * 50)),
        "unknown_tenant": codecs.inbound.encode(event(text=text, tenant_id=PLANTS["PHONE"])),
        "metadata_key": codecs.inbound.encode(event(text=text, metadata={f"k{PLANTS['EMAIL']}": "x" * 5000})),
    }


@pytest.mark.parametrize("kind", ["json_not_avro", "truncated_avro", "plain_text", "invalid_utf8",
                                  "oversized_valid_avro", "unknown_tenant", "metadata_key"])  # fmt: skip
def test_a_poison_record_with_planted_identifiers_dead_letters_without_them(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    codecs = Codecs()
    stage = codecs.stage(known_tenants=frozenset({"acme"}))
    value = poison_records(codecs)[kind]
    with caplog.at_level(logging.WARNING):
        [out] = stage.process([record(value, key=f"conv {PLANTS['PHONE']}".encode())])

    assert out.topic.endswith("deadletter")
    assert found_plants(out.value, PLANTS) == []
    assert found_plants(out.key or b"", PLANTS) == []
    assert found_plants(caplog.text.encode(), PLANTS) == []
    letter = decoded_dead_letter(codecs, out)
    assert letter["reason"] and letter["error_class"]  # the reason survives
    assert letter["original_sha256"] == hashlib.sha256(value).hexdigest()  # replay is verifiable
    assert letter["original_size"] == len(value)


def test_the_preview_keeps_what_helps_diagnosis() -> None:
    preview = redact_bytes(json.dumps({"text": planted_text(PLANTS), "order": "A123"}, ensure_ascii=False).encode())
    assert "[PHONE_1]" in preview and "[EMAIL_1]" in preview
    assert '"order": "A123"' in preview
    assert found_plants(preview.encode(), PLANTS) == []


@pytest.mark.parametrize("glue", ["0", "9", "\x16", "\x00"])
def test_digits_glued_to_a_plant_by_binary_framing_are_still_redacted(glue: str) -> None:
    """An Avro length byte can be an ASCII digit; the masker would not see a phone in '0139...'."""
    for value in PLANTS.values():
        assert found_plants(redact_bytes(f"{glue}{value}{glue}".encode()).encode(), PLANTS) == []


def test_reasons_keep_their_figures() -> None:
    assert redact_text("text has 20001 characters; the limit is 20000", digit_runs=False) == (
        "text has 20001 characters; the limit is 20000"
    )


def test_previews_are_bounded(monkeypatch: Any) -> None:
    assert len(redact_bytes(b"a" * 1_000_000)) == 2000
