"""Hot swap on ``ModelPromoted``: every worker reads ``models.promoted`` itself and swaps at once.

Each worker must see every promotion, so this is not a Faust agent (an agent's partitions are shared out across
the consumer group): a plain aiokafka consumer without a group reads all partitions from their end. A record only
wakes the swap up; what is swapped in is what the registry's ``ACTIVE`` pointer says (the files are the truth), so
a lost or reordered record costs nothing: the ``KEFU_MODEL_POLL_S`` timer remains the fallback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition

__all__ = ["follow_promotions"]

log = logging.getLogger(__name__)


async def follow_promotions(
    bootstrap: str, topic: str, on_promoted: Callable[[], object], *, retry_s: float = 2.0
) -> None:
    """Call ``on_promoted()`` on the event loop whenever records arrive on ``topic``; runs until cancelled."""
    while True:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
        try:
            await consumer.start()
            await consumer.topics()  # loads the metadata partitions_for_topic reads
            partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
            if not partitions:
                raise RuntimeError(f"topic {topic} has no partitions yet")
            consumer.assign(partitions)
            await consumer.seek_to_end(*partitions)
            while True:
                batches = await consumer.getmany(timeout_ms=1000)
                if any(batches.values()):
                    on_promoted()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("following %s failed (%s); retrying in %.0fs", topic, error, retry_s)
            await asyncio.sleep(retry_s)
        finally:
            await consumer.stop()
