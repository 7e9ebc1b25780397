"""``kefu bench load``: simulated customers chatting through the HTTP API, reconciled against ClickHouse.

``scripts`` writes the conversations (pure), ``stats`` summarises what the clients saw (pure), ``driver`` runs the
concurrent conversations over HTTP, ``reconcile`` counts by event id what reached the store.
"""

from serving.loadtest.driver import LoadConfig, run_load

__all__ = ["LoadConfig", "run_load"]
