"""Prometheus metrics of one host process, in their own registry (so several apps in one test process never
clash), rendered for `GET /metrics`.

    ecmahost_requests_total{connector,operation,status}        SCIM requests answered
    ecmahost_request_duration_seconds{connector,operation}     latency histogram
    ecmahost_target_errors_total{connector,kind}               503/500 answers, by cause (TargetUnavailable, ...)
    ecmahost_pool_connections{connector,state}                 pool usage, for connectors that report it
    ecmahost_info{version}                                     always 1

`connector` is `-` for a name that matches no connector, so a scanner cannot grow the label set. Pool usage comes
from an optional connector method `pool_status() -> Mapping[str, int]` (e.g. `{"size": 5, "checked_out": 2}`);
connectors without it are left out. Recording is a dictionary look-up and two lock-protected additions: cheap
enough for the request path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, Info
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from ecmahost import __version__

UNKNOWN_CONNECTOR = "-"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST

ConnectorsView = Callable[[], Mapping[str, Any]]
"""Returns connector name -> an object with a `connector` attribute (a `ConnectorRuntime`)."""


class PoolCollector(Collector):
    """Asks each connector for its pool usage at scrape time."""

    def __init__(self, connectors: ConnectorsView) -> None:
        self.connectors = connectors

    def describe(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("ecmahost_pool_connections", "Connections of the target pool", labels=[])

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "ecmahost_pool_connections", "Connections of the target pool", labels=["connector", "state"]
        )
        for name, item in self.connectors().items():
            pool_status = getattr(item.connector, "pool_status", None)
            if pool_status is None:
                continue
            for state, value in pool_status().items():
                family.add_metric([name, state], float(value))
        yield family


class Metrics:
    def __init__(self, connectors: ConnectorsView) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ecmahost_requests",
            "SCIM requests answered, by connector, operation and HTTP status",
            ["connector", "operation", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ecmahost_request_duration_seconds",
            "Time to answer a SCIM request",
            ["connector", "operation"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.target_errors = Counter(
            "ecmahost_target_errors",
            "Requests that failed because of the target (503) or an internal error (500), by cause",
            ["connector", "kind"],
            registry=self.registry,
        )
        Info("ecmahost", "The host's version", registry=self.registry).info({"version": __version__})
        self.registry.register(PoolCollector(connectors))
        self._request_children: dict[tuple[str, str, int], Any] = {}
        self._latency_children: dict[tuple[str, str], Any] = {}

    def observe(self, connector: str | None, operation: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency."""
        name = connector or UNKNOWN_CONNECTOR
        key = (name, operation, status)
        counter = self._request_children.get(key)
        if counter is None:
            counter = self._request_children[key] = self.requests.labels(name, operation, str(status))
        counter.inc()
        histogram = self._latency_children.get(key[:2])
        if histogram is None:
            histogram = self._latency_children[key[:2]] = self.latency.labels(name, operation)
        histogram.observe(seconds)

    def target_error(self, connector: str, kind: str) -> None:
        self.target_errors.labels(connector, kind).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
