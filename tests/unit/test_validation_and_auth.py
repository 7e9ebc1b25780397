"""Event rules the schema cannot express (processors.validation) and API keys (serving.auth)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from processors.validation import (
    MAX_ID_CHARS,
    MAX_METADATA_ENTRIES,
    MAX_METADATA_VALUE_CHARS,
    InvalidEvent,
    validate_event,
)
from serving.auth import DEV_KEY_FILE, KEYS_FILE, ApiKeys, ensure_dev_key, hash_key

# -- validation --------------------------------------------------------------------------------------------------


def event(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": "e1",
        "conversation_id": "c1",
        "tenant_id": "acme",
        "text": "你好",
        "ts": 1_795_248_000_000,
        "metadata": {"page": "/help"},
    }
    base.update(overrides)
    return base


def rejection(value: dict[str, Any], max_text_chars: int = 10, **options: Any) -> InvalidEvent:
    with pytest.raises(InvalidEvent) as caught:
        validate_event(value, max_text_chars=max_text_chars, **options)
    return caught.value


def test_a_well_formed_event_passes() -> None:
    validate_event(event(), max_text_chars=10)


@pytest.mark.parametrize("name", ["event_id", "conversation_id", "tenant_id"])
@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_blank_ids_are_invalid_fields(name: str, blank: str) -> None:
    error = rejection(event(**{name: blank}))
    assert (error.error_class, error.reason) == ("invalid_field", f"{name} is empty")


@pytest.mark.parametrize("name", ["event_id", "conversation_id", "tenant_id"])
def test_ids_longer_than_the_limit_are_invalid_and_the_limit_itself_is_fine(name: str) -> None:
    validate_event(event(**{name: "x" * MAX_ID_CHARS}), max_text_chars=10)
    error = rejection(event(**{name: "x" * (MAX_ID_CHARS + 1)}))
    assert error.error_class == "invalid_field"
    assert name in error.reason


def test_unknown_tenant_is_rejected_when_tenants_are_configured() -> None:
    error = rejection(event(tenant_id="intruder"), known_tenants=frozenset({"acme"}))
    assert error.error_class == "unknown_tenant"
    assert "intruder" in error.reason
    validate_event(event(), max_text_chars=10, known_tenants=frozenset({"acme"}))


def test_any_tenant_is_accepted_when_tenants_are_not_configured() -> None:
    validate_event(event(tenant_id="anyone"), max_text_chars=10)


def test_text_limit_counts_characters_not_bytes() -> None:
    validate_event(event(text="字" * 10), max_text_chars=10)
    error = rejection(event(text="字" * 11))
    assert (error.error_class, error.reason) == ("oversized", "text has 11 characters; the limit is 10")


@pytest.mark.parametrize("role", ["customer", "agent", "bot"])
@pytest.mark.parametrize("blank", ["", "   ", "\t\n", "\u3000", "\u200b \ufeff"])
def test_a_message_without_text_is_empty_text_for_every_author_but_the_system(role: str, blank: str) -> None:
    error = rejection(event(role=role, text=blank))
    assert (error.error_class, error.reason) == (
        "empty_text",
        "text is empty or whitespace only; only system events may have no text",
    )


@pytest.mark.parametrize("blank", ["", "  "])
def test_a_system_event_may_have_no_text(blank: str) -> None:
    validate_event(event(role="system", text=blank), max_text_chars=10)
    validate_event({k: v for k, v in event(text=blank).items() if k != "role"}, max_text_chars=10)  # the default


def test_one_visible_character_is_text() -> None:
    validate_event(event(role="customer", text=" ?\u200b"), max_text_chars=10)
    validate_event(event(role="customer", text="\u200b好"), max_text_chars=10)


def test_timestamps_before_1970_are_invalid() -> None:
    validate_event(event(ts=0), max_text_chars=10)
    error = rejection(event(ts=-1))
    assert (error.error_class, error.reason) == ("invalid_field", "ts is before 1970")


def test_too_many_metadata_entries_are_oversized() -> None:
    validate_event(event(metadata={f"k{i}": "v" for i in range(MAX_METADATA_ENTRIES)}), max_text_chars=10)
    error = rejection(event(metadata={f"k{i}": "v" for i in range(MAX_METADATA_ENTRIES + 1)}))
    assert error.error_class == "oversized"
    assert "metadata" in error.reason


def test_too_long_metadata_value_is_oversized_and_named() -> None:
    validate_event(event(metadata={"ua": "x" * MAX_METADATA_VALUE_CHARS}), max_text_chars=10)
    error = rejection(event(metadata={"ua": "x" * (MAX_METADATA_VALUE_CHARS + 1)}))
    assert error.error_class == "oversized"
    assert error.reason.startswith("metadata.ua ")


def test_invalid_event_message_carries_class_and_reason() -> None:
    error = rejection(event(event_id=""))
    assert str(error) == "invalid_field: event_id is empty"


# -- API keys ----------------------------------------------------------------------------------------------------

ACME_KEY = "acme-secret-key"
OPS_KEY = "ops-secret-key"


def spec(*pairs: tuple[str, str]) -> str:
    return ",".join(f"{tenant}:{hash_key(key)}" for tenant, key in pairs)


def test_hash_key_is_sha256_hex() -> None:
    assert hash_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_tenant_of_the_right_key_is_its_tenant() -> None:
    keys = ApiKeys.parse(spec(("acme", ACME_KEY), ("*", OPS_KEY)))
    assert keys.tenant_of(ACME_KEY) == "acme"
    assert keys.tenant_of(OPS_KEY) == "*"


@pytest.mark.parametrize("presented", ["wrong-key", ACME_KEY.upper(), ACME_KEY + " ", "", None, hash_key(ACME_KEY)])
def test_wrong_or_missing_key_has_no_tenant(presented: str | None) -> None:
    assert ApiKeys.parse(spec(("acme", ACME_KEY))).tenant_of(presented) is None


def test_parse_tolerates_spaces_empty_entries_and_upper_case_hex() -> None:
    keys = ApiKeys.parse(f" acme:{hash_key(ACME_KEY).upper()} ,, ")
    assert keys.tenant_of(ACME_KEY) == "acme"


def test_parse_of_an_empty_spec_knows_no_keys() -> None:
    assert ApiKeys.parse("").tenant_of(ACME_KEY) is None


@pytest.mark.parametrize(
    "entry",
    [
        "acme",  # no digest
        f":{hash_key(ACME_KEY)}",  # no tenant
        "acme:abc123",  # digest too short
        f"acme:{hash_key(ACME_KEY)}0",  # digest too long
        f"acme:{ACME_KEY}",  # the plain key instead of its hash
    ],
)
def test_parse_rejects_bad_entries(entry: str) -> None:
    with pytest.raises(ValueError, match="tenant:sha256hex"):
        ApiKeys.parse(f"ops:{hash_key(OPS_KEY)},{entry}")


def test_parse_rejects_a_non_hex_digest() -> None:
    with pytest.raises(ValueError, match="tenant:sha256hex"):
        ApiKeys.parse("acme:" + "z" * 64)


def test_the_error_for_a_bad_entry_does_not_echo_the_whole_entry() -> None:
    secret_looking = "acme:" + "s3cr3t" * 5
    with pytest.raises(ValueError) as caught:
        ApiKeys.parse(secret_looking)
    assert secret_looking not in str(caught.value)


def test_ensure_dev_key_creates_an_owner_only_key_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    key = ensure_dev_key(data_dir)
    key_file = data_dir / DEV_KEY_FILE
    assert key_file.read_text() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key.startswith("kefu-dev-")
    assert len(key) > 20


def test_ensure_dev_key_is_stable_across_calls(tmp_path: Path) -> None:
    first = ensure_dev_key(tmp_path)
    assert ensure_dev_key(tmp_path) == first
    assert ApiKeys.load(tmp_path).tenant_of(first) == "*"


def test_dev_keys_differ_between_data_dirs(tmp_path: Path) -> None:
    assert ensure_dev_key(tmp_path / "a") != ensure_dev_key(tmp_path / "b")


def test_api_keys_file_holds_only_the_hash(tmp_path: Path) -> None:
    key = ensure_dev_key(tmp_path)
    stored = (tmp_path / KEYS_FILE).read_text()
    assert key not in stored
    assert json.loads(stored) == {hash_key(key): "*"}


def test_ensure_dev_key_keeps_existing_keys_in_the_keys_file(tmp_path: Path) -> None:
    (tmp_path / KEYS_FILE).write_text(json.dumps({hash_key(ACME_KEY): "acme"}))
    dev = ensure_dev_key(tmp_path)
    keys = ApiKeys.load(tmp_path)
    assert (keys.tenant_of(dev), keys.tenant_of(ACME_KEY)) == ("*", "acme")


def test_load_without_a_keys_file_knows_no_keys(tmp_path: Path) -> None:
    assert ApiKeys.load(tmp_path).tenant_of(ACME_KEY) is None
