"""How many cores this process may run on (its CPU affinity, which a container or ``taskset`` may narrow)."""

from __future__ import annotations

import os


def available_cores() -> int:
    """Cores this process may be scheduled on; ``os.cpu_count()`` where affinity is not known."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
