"""Handling triggers as they come off ``models.retrain``: skip what is too soon, never let a failure escape.

Several workers (each with its own drift monitor over a share of the partitions) can see the same drift and
emit a trigger each; the registry is shared, so a drift trigger for a model that got a new version less than
``min_interval_s`` ago is skipped. Manual triggers (detector ``manual``) are never skipped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jobs.retrain.job import JobResult, RetrainJob

__all__ = ["TriggerRunner"]

log = logging.getLogger(__name__)


@dataclass
class TriggerRunner:
    """Runs :meth:`RetrainJob.handle` for a trigger unless a recent version makes it redundant.

    ``job`` is built per trigger (``make_job``), so a store that was not up yet is connected on the next one.
    """

    make_job: Callable[[], RetrainJob]
    min_interval_s: float = 600.0
    settle_s: float = 0.0
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sleep: Callable[[float], None] = time.sleep

    def handle(self, trigger: Mapping[str, Any]) -> JobResult:
        """The job's result, or a ``skipped``/``failed`` result with the reason; never raises."""
        model = str(trigger.get("model", ""))
        try:
            if str(trigger.get("detector", "")) != "manual":
                recent = self._recent_version(model)
                if recent is not None:
                    return JobResult("skipped", recent)
            if self.settle_s:
                self.sleep(self.settle_s)  # let the sink land the labels given just before the trigger
            return self.make_job().handle(trigger)
        except Exception as error:  # a bad trigger or an unreachable store must not stop the worker
            log.exception("retrain of %s for trigger %s failed", model, trigger.get("event_id"))
            return JobResult("failed", f"{type(error).__name__}: {error}"[:500])

    def _recent_version(self, model: str) -> str | None:
        if not self.min_interval_s:
            return None
        job = self.make_job()
        cards = job.registry.versions(model) if model in ("intent", "sentiment") else []
        if not cards:
            return None
        newest = cards[-1]
        created = datetime.fromisoformat(newest.created_at)
        age_s = (self.clock() - (created if created.tzinfo else created.replace(tzinfo=UTC))).total_seconds()
        if age_s >= self.min_interval_s:
            return None
        return f"{model} {newest.version} was registered {age_s:.0f}s ago (< {self.min_interval_s:.0f}s)"
