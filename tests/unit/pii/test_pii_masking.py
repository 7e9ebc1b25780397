"""Placeholders, offsets, configuration, batch and edge cases of the public masker."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from processors import pii
from processors.pii import PII_TYPES, MaskResult, PiiEntity, PiiMasker, mask_pii


def test_public_surface_is_exactly_the_documented_names() -> None:
    assert sorted(pii.__all__) == [
        "IdentifierPseudonymizer",
        "MaskResult",
        "PII_TYPES",
        "PSEUDONYM_PREFIX",
        "PiiEntity",
        "PiiMasker",
        "mask_pii",
        "process_pseudonyms",
    ]


def test_same_value_gets_same_number_and_different_values_different_numbers() -> None:
    text = "电话13812345678，备用13987654321，还是打138-1234-5678"
    result = mask_pii(text)
    assert result.masked == "电话[PHONE_1]，备用[PHONE_2]，还是打[PHONE_1]"


def test_numbering_is_per_type() -> None:
    result = mask_pii("a@b.cn 13812345678 c@d.cn")
    assert [e.placeholder for e in result.entities] == ["[EMAIL_1]", "[PHONE_1]", "[EMAIL_2]"]


def test_offsets_point_into_the_original_text() -> None:
    text = "Hello 我叫李娜，邮箱 li.na@example.com，手机１３８００１３８０００"
    result = mask_pii(text)
    found = {e.type: text[e.start : e.end] for e in result.entities}
    assert found == {"NAME": "李娜", "EMAIL": "li.na@example.com", "PHONE": "１３８００１３８０００"}
    rebuilt = text
    for entity in sorted(result.entities, key=lambda e: e.start, reverse=True):
        rebuilt = rebuilt[: entity.start] + entity.placeholder + rebuilt[entity.end :]
    assert rebuilt == result.masked


def test_longer_entity_wins_an_overlap() -> None:
    text = "邮箱13812345678@qq.com"
    assert [(e.type, text[e.start : e.end]) for e in mask_pii(text).entities] == [("EMAIL", "13812345678@qq.com")]


def test_entities_never_hold_the_value() -> None:
    entity = mask_pii("13812345678").entities[0]
    assert "13812345678" not in repr(entity)
    assert entity == PiiEntity("PHONE", 0, 11, "[PHONE_1]")


def test_empty_and_pii_free_text() -> None:
    assert mask_pii("") == MaskResult("", ())
    assert mask_pii("你好，请问什么时候发货？") == MaskResult("你好，请问什么时候发货？", ())


def test_type_selection_and_switches() -> None:
    text = "我叫张伟，电话13812345678，地址北京市朝阳区建国路88号"
    only_phone = PiiMasker(types=["PHONE"]).mask(text)
    assert [e.type for e in only_phone.entities] == ["PHONE"]
    no_names = PiiMasker(detect_names=False, detect_addresses=False).mask(text)
    assert [e.type for e in no_names.entities] == ["PHONE"]
    assert {e.type for e in PiiMasker().mask(text).entities} == {"NAME", "PHONE", "ADDRESS"}


def test_unknown_type_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown PII types"):
        PiiMasker(types=["PHONE", "SSN"])


def test_pii_types_cover_every_detector() -> None:
    assert set(PII_TYPES) == {
        "PHONE",
        "ID_CARD",
        "BANK_CARD",
        "EMAIL",
        "IP",
        "PASSPORT",
        "PLATE",
        "NAME",
        "ADDRESS",
    }


def test_batch_matches_single_calls_and_restarts_numbering() -> None:
    texts = ["13812345678", "13987654321 13812345678", ""]
    masker = PiiMasker()
    assert masker.mask_batch(texts) == [masker.mask(t) for t in texts]
    assert masker.mask_batch(texts)[1].masked == "[PHONE_1] [PHONE_2]"


def test_shared_masker_is_thread_safe() -> None:
    masker = PiiMasker()
    texts = [f"电话138{i:08d}，邮箱u{i}@qq.com" for i in range(200)]
    expected = [masker.mask(t) for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(masker.mask, texts)) == expected


def test_very_long_text_is_fast_and_fully_masked() -> None:
    chunk = "您好，我的手机号是13812345678，订单号2024052112345678，地址北京市朝阳区建国路88号。"
    text = (chunk * (100_000 // len(chunk) + 1))[:100_000]
    started = time.perf_counter()
    result = mask_pii(text)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0
    assert "13812345678" not in result.masked
    assert "2024052112345678" in result.masked
