"""Benchmarks of the stream: ``kefu bench enrich`` (Faust against a plain confluent-kafka loop)."""
