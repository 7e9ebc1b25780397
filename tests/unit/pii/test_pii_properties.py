"""Property test of the masker: a valid identifier is masked whole whatever surrounds it.

Values come from the synthetic generator (real check digits and Luhn sums, the formats people type); hypothesis
chooses what stands around them: Chinese, punctuation, whitespace, dashes, "tel:" or English words, and the
messaging-app letters people glue to a number ("加我wx13812345678", "13812345678vx同号"). Only digits or other
letters touching a number are left out: they change what the number is (an order number, a product code).
Passports and plates are masked only with context and are left to the example tests.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from processors.pii import mask_pii
from processors.pii import synthetic_values as values

IDENTIFIERS: dict[str, Callable[[random.Random], str]] = {
    "mobile": values.mobile,
    "landline": values.landline,
    "international": values.international,
    "north_american": values.north_american,
    "id_card": values.id_card,
    "bank_card": values.bank_card,
    "email": values.email,
}
GLUE_BEFORE = {"mobile", "landline", "international"}  # wx / vx / qq / tel may touch a phone in front
GLUE_AFTER = {"mobile", "landline", "international", "north_american", "id_card"}  # letters may follow these

neutral = st.lists(
    st.sampled_from(
        [*"我的号码是，。：:；！？（）() 电话手机卡号身份证邮箱请联系谢谢好了吗呢、“”【】~/=#*&|…", "\n", "\t", "——",
         "tel: ", "call me at ", "电话："]
    ),
    max_size=6,
).map("".join)  # fmt: skip
# what follows the value starts with no letter (only the app letters above may touch a number)
neutral_after = neutral.map(lambda text: "，" + text if text[:1].isascii() and text[:1].isalpha() else text)


@given(
    kind=st.sampled_from(sorted(IDENTIFIERS)),
    seed=st.integers(0, 2**32),
    before=neutral,
    after=neutral_after,
    app_before=st.sampled_from(["", "wx", "VX", "qq", "Tel"]),
    app_after=st.sampled_from(["", "vx同号", "QQ", "call me", "ok"]),
)
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_valid_identifier_is_masked_whole_in_any_surroundings(
    kind: str, seed: int, before: str, after: str, app_before: str, app_after: str
) -> None:
    value = IDENTIFIERS[kind](random.Random(seed))
    left = before + (app_before if kind in GLUE_BEFORE else "")
    text = left + value + (app_after if kind in GLUE_AFTER else "") + after
    covered = set()
    for entity in mask_pii(text).entities:
        covered.update(range(entity.start, entity.end))
    exposed = [ch for offset, ch in enumerate(value, start=len(left)) if ch.isalnum() and offset not in covered]
    assert not exposed, (kind, text, mask_pii(text).masked)
