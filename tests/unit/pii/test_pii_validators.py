"""Check digits and plausibility rules that separate identifiers from look-alike numbers."""

from __future__ import annotations

from datetime import date

import pytest

from processors.pii.validators import (
    has_card_issuer_prefix,
    id_card_check_char,
    is_allocated_mobile,
    is_plausible_card,
    is_valid_id_card,
    is_valid_old_id_card,
    looks_like_id_card,
    luhn_valid,
)


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002X",
        "11010519491231002x",
        "440524195501010016",
        "510104199003071237",
        "320102198511110527",
    ],
)
def test_valid_resident_ids_pass(value: str) -> None:
    assert is_valid_id_card(value.upper())


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("110105194912310021", "wrong check digit"),
        ("110105194913310029", "month 13"),
        ("110105194902300024", "30 February"),
        ("991105194912310020", "unknown province"),
        ("11010519491231002", "17 characters"),
    ],
)
def test_invalid_resident_ids_fail(value: str, why: str) -> None:
    assert not is_valid_id_card(value), why


def test_future_birth_date_is_not_an_id() -> None:
    body = "11010520300101001"
    assert not is_valid_id_card(body + id_card_check_char(body), today=date(2026, 1, 1))


def test_check_char_matches_iso_7064_reference() -> None:
    # GB 11643-1999 worked example.
    assert id_card_check_char("11010519491231002") == "X"


def test_old_fifteen_digit_id_needs_a_real_date() -> None:
    assert is_valid_old_id_card("110105491231002")
    assert not is_valid_old_id_card("110105491331002")


def test_mistyped_id_still_looks_like_an_id() -> None:
    assert looks_like_id_card("110105194912310021")
    assert not looks_like_id_card("622202123456789012")


@pytest.mark.parametrize(
    # Published test numbers of Visa, Mastercard, Amex, Discover and JCB.
    "number",
    ["4111111111111111", "5500000000000004", "378282246310005", "6011111111111117", "3530111333300000"],
)
def test_luhn_accepts_known_valid_numbers(number: str) -> None:
    assert luhn_valid(number)


def test_luhn_rejects_single_digit_changes() -> None:
    valid = "4111111111111111"
    for position in range(len(valid)):
        changed = valid[:position] + str((int(valid[position]) + 1) % 10) + valid[position + 1 :]
        assert not luhn_valid(changed)


def test_degenerate_numbers_are_not_cards() -> None:
    assert luhn_valid("0000000000000000")
    assert not is_plausible_card("0000000000000000")
    assert not is_plausible_card("411111111111")  # 12 digits


def test_issuer_prefixes() -> None:
    assert has_card_issuer_prefix("6222021234567890")
    assert has_card_issuer_prefix("2221001234567890")
    assert not has_card_issuer_prefix("2024052112345678")
    assert not has_card_issuer_prefix("7730123456789012")


def test_allocated_mobile_prefixes() -> None:
    assert is_allocated_mobile("13812345678")
    assert is_allocated_mobile("19912345678")
    assert not is_allocated_mobile("14012345678")
    assert not is_allocated_mobile("1381234567")
