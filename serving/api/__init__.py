"""The HTTP surface: event ingest for producers, channel callbacks, health and metrics."""

from serving.api.app import create_api

__all__ = ["create_api"]
