"""Where the shared review corpora live and how the project splits them for evaluation.

The corpora are not part of the product; evaluation scripts and slow tests look for them next to the
checkout (``<repo root>/../shared/data/sentiment``) and skip when absent.
"""

from __future__ import annotations

from pathlib import Path

from processors.sentiment.evaluation import split_holdout
from processors.sentiment.reader import read_sentiment_file

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_SENTIMENT_DIR = REPO_ROOT.parent / "shared" / "data" / "sentiment"

SHOPPING_FILE = "online_shopping_10_cats.csv"
OTHER_TRAIN_FILES = ("waimai_10k.csv", "ChnSentiCorp_htl_all.csv", "eprstmt_train_few_all.jsonl")
EPRSTMT_DEV_FILE = "eprstmt_dev_few_all.jsonl"

Examples = list[tuple[str, int]]


def shared_splits(data_dir: Path = SHARED_SENTIMENT_DIR) -> tuple[Examples, Examples, Examples]:
    """``(train, shopping_held_out, eprstmt_dev)`` from the shared corpora.

    A tenth of the e-commerce reviews, chosen by a hash of their text, is held out; the rest of them,
    the food-delivery and hotel reviews and the EPRSTMT train split are for training, minus any text
    that also occurs in an evaluation set. EPRSTMT dev is never trained on.
    """
    shopping_train, shopping_held_out = split_holdout(read_sentiment_file(data_dir / SHOPPING_FILE))
    dev = read_sentiment_file(data_dir / EPRSTMT_DEV_FILE)
    others = [example for name in OTHER_TRAIN_FILES for example in read_sentiment_file(data_dir / name)]
    evaluation_texts = {text for text, _ in shopping_held_out} | {text for text, _ in dev}
    train = [example for example in shopping_train + others if example[0] not in evaluation_texts]
    return train, shopping_held_out, dev
