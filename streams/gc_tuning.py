"""Garbage-collector settings for stream worker processes.

A worker allocates a few dozen short-lived objects per event (decoded dicts, masks, predictions, encoded
records) and keeps long-lived state (models, the duplicate memory). With CPython's default thresholds
(700, 10, 10) the collector ran about every 700 allocations and cost a fifth to a quarter of the inbound
stage's CPU time (`kefu bench chain` with the collector on and off). Workers therefore freeze what start-up
built (the models never become garbage) and collect the youngest generation every 50,000 allocations.
"""

from __future__ import annotations

import gc

YOUNG_GENERATION_THRESHOLD = 50_000


def tune_gc_for_streaming() -> None:
    """Call once start-up has built the models: moves every object alive now out of the collector's scans."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
