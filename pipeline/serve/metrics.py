"""The service's Prometheus metrics: requests by route and status, latency, how many
requests and texts each pooled model call holds, the queue's depth, texts and characters
translated per language pair. Each app has a registry of its own."""

from __future__ import annotations

__all__ = ["Metrics"]


class Metrics:
    """The Prometheus metrics of one app (its own registry)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter(
            "it2en_requests",
            "Requests by endpoint and status",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "it2en_request_seconds", "Request latency", ["endpoint"], registry=self.registry
        )
        self.batch_requests = Histogram(
            "it2en_batch_requests",
            "Requests pooled into one model call",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
            registry=self.registry,
        )
        self.batch_texts = Histogram(
            "it2en_batch_texts",
            "Texts in one pooled model call",
            buckets=(1, 4, 16, 64, 256, 1024),
            registry=self.registry,
        )
        self.texts = Counter("it2en_texts", "Texts translated", ["pair"], registry=self.registry)
        self.characters = Counter(
            "it2en_characters", "Characters translated", ["pair"], registry=self.registry
        )
        self.queue = Gauge("it2en_queue_depth", "Requests waiting for the worker", registry=self.registry)
