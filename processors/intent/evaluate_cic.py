"""CIC figures for the intent model; prints JSON.

Run ``python -m processors.intent.evaluate_cic``. Trains on 80 % of CIC train (stratified, seed 0)
and reports the other 20 % ("held_out", the figure used to choose settings) and dev (never used to
choose anything). Both carry CIC's label noise; the clean test split is held by others.
"""

from __future__ import annotations

import json
import time

from processors.intent.cic import CIC_DIR, cic_available, cic_splits
from processors.intent.evaluation import evaluate_intent
from processors.intent.model import IntentModel


def main() -> None:
    """Train, evaluate and print the figures (or why there are none)."""
    if not cic_available():
        print(json.dumps({"error": f"CIC data not found at {CIC_DIR.resolve()}"}))
        raise SystemExit(1)
    fit, held_out, dev = cic_splits()
    started = time.perf_counter()
    model = IntentModel.train(fit, seed=0)
    report = {
        "train_examples": len(fit),
        "labels": len(model.labels),
        "train_seconds": round(time.perf_counter() - started, 1),
        "params": model.params.to_dict(),
        "calibration": model.calibration.to_dict(),
        "cross_validation": model.metadata["metrics"],
        "held_out": evaluate_intent(model, held_out),
        "dev": evaluate_intent(model, dev),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
