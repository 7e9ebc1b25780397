"""Kefu's embedded schema registry: the Confluent REST subset that Avro clients use, persisted in a file."""

from schemas.registry.store import IncompatibleSchema, InvalidRequest, InvalidSchema, NotFound, SchemaStore

__all__ = ["IncompatibleSchema", "InvalidRequest", "InvalidSchema", "NotFound", "SchemaStore"]
