"""Planted identifiers: valid Chinese mobile, 18-digit resident ID (right check digit), Luhn-valid card, e-mail.

Each run draws fresh values from a seed, so a scan finds this run's plants only. Tests put them into text,
metadata and malformed records, then assert the raw values appear nowhere downstream of masking.
"""

from __future__ import annotations

import random

from processors.pii import mask_pii
from processors.pii.synthetic_values import luhn_complete
from processors.pii.validators import id_card_check_char


def planted_identifiers(seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    phone = "139" + "".join(rng.choice("0123456789") for _ in range(8))
    body = f"110105{rng.randint(1960, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(100, 999)}"
    card = luhn_complete("62220210" + "".join(rng.choice("0123456789") for _ in range(7)))
    email = f"planted.{rng.randint(10**5, 10**6 - 1)}@example.com"
    plants = {"PHONE": phone, "ID_CARD": body + id_card_check_char(body), "BANK_CARD": card, "EMAIL": email}
    for kind, value in plants.items():  # the masker must know each plant, or the scan proves nothing
        assert [e.type for e in mask_pii(f"x {value} x").entities] == [kind], (kind, value)
    return plants


def planted_text(plants: dict[str, str]) -> str:
    return (
        f"我的手机{plants['PHONE']}，身份证{plants['ID_CARD']}，银行卡{plants['BANK_CARD']}，"
        f"邮箱{plants['EMAIL']}，帮我查一下退款"
    )


def found_plants(blob: bytes, plants: dict[str, str]) -> list[str]:
    """Which plants occur in ``blob`` (raw UTF-8, as Avro, JSON and logs hold strings)."""
    return [kind for kind, value in plants.items() if value.encode() in blob]
