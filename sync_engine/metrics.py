"""Prometheus metrics for one engine process (own registry, so tests can build many engines)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    """The engine's live numbers, served at ``/metrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.calls = Counter(
            "rehearsal_engine_calls",
            "Requests sent, by destination and HTTP status",
            ["destination", "status"],
            registry=self.registry,
        )
        self.throttled = Counter(
            "rehearsal_engine_throttled",
            "429s and concurrency rejections received",
            ["destination"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "rehearsal_engine_call_seconds",
            "Request latency in simulated seconds",
            ["destination"],
            registry=self.registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
        )
        self.queue_depth = Gauge(
            "rehearsal_engine_queue_depth",
            "Records waiting, by flow and state",
            ["flow", "state"],
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "rehearsal_engine_in_flight",
            "Requests in flight, by destination",
            ["destination"],
            registry=self.registry,
        )
        self.concurrency_limit = Gauge(
            "rehearsal_engine_concurrency_limit",
            "Learned concurrency limit, by destination",
            ["destination"],
            registry=self.registry,
        )
        self.bucket_used = Gauge(
            "rehearsal_engine_bucket_used",
            "Last reported leaky-bucket fill, by destination",
            ["destination"],
            registry=self.registry,
        )
        self.budget_utilisation = Gauge(
            "rehearsal_engine_budget_utilisation",
            "Share of the learned budget being spent (rate ÷ learned rate, or in flight ÷ limit)",
            ["destination"],
            registry=self.registry,
        )
        self.synced = Counter(
            "rehearsal_engine_records_synced",
            "Records carried to their destination, by flow",
            ["flow"],
            registry=self.registry,
        )

    def observe_call(self, destination: str, status: int | str, seconds: float) -> None:
        self.calls.labels(destination, str(status)).inc()
        self.latency.labels(destination).observe(seconds)
        if status == 429:
            self.throttled.labels(destination).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
