"""The router's Prometheus metrics, which rollout analysis reads (issue 19).

One registry per router (never the process-global one), so two routers in one test process
do not share counters. Requests are counted by deployment, revision and status class, and
timed in a histogram whose buckets are fine enough below a second for p50/p90/p99 of a
canary to be told apart from its stable revision.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REQUESTS_METRIC: Final = "greentic_router_requests"
DURATION_METRIC: Final = "greentic_router_request_duration_seconds"
# Seconds; the last finite bucket bounds what a percentile can report.
LATENCY_BUCKETS: Final = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)
CONTENT_TYPE: Final = CONTENT_TYPE_LATEST


def status_class(status: int) -> str:
    return f"{status // 100}xx"


class RouterMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._requests = Counter(
            REQUESTS_METRIC,
            "Requests the router answered, by deployment, revision and status class",
            ("deployment", "revision", "status_class"),
            registry=self.registry,
        )
        self._duration = Histogram(
            DURATION_METRIC,
            "Seconds from routing a request to the end of its response",
            ("deployment", "revision"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def observe(self, deployment_id: str, revision_id: str, status: int, seconds: float) -> None:
        self._requests.labels(deployment_id, revision_id, status_class(status)).inc()
        self._duration.labels(deployment_id, revision_id).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
