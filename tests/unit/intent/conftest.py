"""Shared tiny training set for the intent tests."""

from __future__ import annotations

import pytest

from processors.intent import IntentModel

TINY_EXAMPLES = [
    ("我要退货", "return_refund"),
    ("怎么申请退款", "return_refund"),
    ("退款什么时候到账", "return_refund"),
    ("这个不想要了能退吗", "return_refund"),
    ("i want a refund", "return_refund"),
    ("快递到哪了", "where_is_my_order"),
    ("帮我查一下物流", "where_is_my_order"),
    ("包裹什么时候能到", "where_is_my_order"),
    ("物流怎么不更新", "where_is_my_order"),
    ("where is my package", "where_is_my_order"),
    ("能开发票吗", "invoice"),
    ("发票怎么开", "invoice"),
    ("我要开增值税发票", "invoice"),
    ("电子发票在哪下载", "invoice"),
    ("can i get an invoice", "invoice"),
    ("今天天气怎么样", "unknown"),
    ("asdfghjkl", "unknown"),
    ("讲个笑话", "unknown"),
    ("哈哈哈哈", "unknown"),
    ("what's the weather", "unknown"),
]


@pytest.fixture(scope="module")
def tiny_model() -> IntentModel:
    return IntentModel.train(TINY_EXAMPLES, seed=0, calibration_folds=5, regularization=1.0)
