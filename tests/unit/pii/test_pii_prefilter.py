"""The masker skips detectors on text with too few digits: it must find exactly what running them all finds."""

from __future__ import annotations

import random

import pytest

from processors.pii import PiiMasker
from processors.pii.addresses import find_addresses
from processors.pii.entities import Candidate
from processors.pii.identifiers import find_emails, find_ip_addresses, find_passports, find_plates
from processors.pii.names import find_names
from processors.pii.normalize import normalize_for_detection
from processors.pii.numbers import find_bank_cards, find_id_cards, find_phones
from processors.pii.synthetic import generate_samples

ALL_DETECTORS = (
    find_phones,
    find_id_cards,
    find_bank_cards,
    find_ip_addresses,
    find_passports,
    find_plates,
    find_emails,
    find_names,
    find_addresses,
)

EDGE_CASES = [
    "电话+1 212 555 01",  # E.164 with 8 digits: the shortest phone the detectors report
    "电话+1 212 555 0",  # 7 digits
    "+44 20 7946 0958",
    "(212) 555-1234",
    "010-62345678",
    "电话01062345678",
    "卡号 4111 1111 1111 1",  # 13 digits
    "卡号4111111111111",
    "身份证110105491231002",  # 15-digit old resident id
    "护照号E1234567",
    "passport AB123456",
    "护照 G1234567",
    "车牌京A12345",
    "车牌京AB1234",
    "IP 1.2.3.4",
    "2001:db8::1",
    "电话١٣٨١٢٣٤٥٦٧٨",  # Arabic-Indic digits count as digits for the patterns too
    "订单号 10212345678，电话13812345678",
    "我叫张伟，住在北京市朝阳区建国路88号",
    "第3次了",
    "",
]


def _all_candidates(text: str) -> set[Candidate]:
    normalized = normalize_for_detection(text)
    return {candidate for detector in ALL_DETECTORS for candidate in detector(normalized)}


def _texts() -> list[str]:
    rng = random.Random(3)
    generated = [sample.text for sample in generate_samples(3000, seed=11)]
    # Cut generated messages at random points too: fewer digits around the thresholds.
    cut = [text[: rng.randrange(len(text) + 1)] for text in generated[:1500]]
    return EDGE_CASES + generated + cut


@pytest.mark.parametrize("masker", [PiiMasker(), PiiMasker(detect_names=False, detect_addresses=False)])
def test_digit_prefilter_finds_what_every_detector_finds(masker: PiiMasker) -> None:
    for text in _texts():
        expected = {c for c in _all_candidates(text) if c.type in masker.types}
        assert set(masker.candidates(text)) == expected, text
