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

Several worker processes (`serve --workers N`): the supervisor sets `PROMETHEUS_MULTIPROC_DIR` (a folder under
`<home>/run/`, emptied at each start) before it starts the workers, so prometheus_client, which picks its value class
when it is imported, keeps every value in a per-process memory-mapped file there, and `render` answers with the sum
over all workers' files (`MultiProcessCollector`), whichever worker is asked. Counters and histograms of a worker
that died still count. Custom collectors do not work across processes, so the pool usage becomes a gauge each worker
sets from its own pools (at each scrape, and when `refresh_pools` is called: the worker's monitor does every
second) and that adds up over the live workers (`livesum`; the files of dead workers are dropped at scrape time),
and `ecmahost_info` is a constant collector. Recording then writes the memory-mapped files: about 8 µs of CPU per
request instead of 4 µs. Without the variable (one process) nothing of this is used.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, values
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from ecmahost import __version__
from ecmahost.observability.run_files import MULTIPROCESS_ENV, pid_exists

UNKNOWN_CONNECTOR = "-"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST
POOL_HELP = "Connections of the target pool"

ConnectorsView = Callable[[], Mapping[str, Any]]
"""Returns connector name -> an object with a `connector` attribute (a `ConnectorRuntime`)."""


def multiprocess_dir() -> Path | None:
    """The folder the worker processes share their metrics in, or None in a single process. prometheus_client chose
    memory-mapped values when it was imported, from the same variable: only then are the files written. Its public
    `values.ValueClass` is `values.MutexValue` exactly when it chose in-process values."""
    if values.ValueClass is values.MutexValue:
        return None
    return Path(os.environ[MULTIPROCESS_ENV])


def pool_usage(connectors: ConnectorsView) -> Iterator[tuple[str, str, float]]:
    """(connector, state, connections) of each connector that reports its pool."""
    for name, item in list(connectors().items()):
        pool_status = getattr(item.connector, "pool_status", None)
        if pool_status is None:
            continue
        for state, value in pool_status().items():
            yield name, state, float(value)


class PoolCollector(Collector):
    """Asks each connector for its pool usage at scrape time (one process)."""

    def __init__(self, connectors: ConnectorsView) -> None:
        self.connectors = connectors

    def describe(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("ecmahost_pool_connections", POOL_HELP, labels=[])

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("ecmahost_pool_connections", POOL_HELP, labels=["connector", "state"])
        for name, state, value in pool_usage(self.connectors):
            family.add_metric([name, state], value)
        yield family


class VersionCollector(Collector):
    """`ecmahost_info{version}`: a constant, the same in every process, so it is not kept in the shared files."""

    def collect(self) -> Iterator[Metric]:
        yield InfoMetricFamily("ecmahost", "The host's version", value={"version": __version__})


class SharedPools:
    """Pool usage across worker processes: a `livesum` gauge that this process sets from its own pools. A state a
    pool no longer reports is set to 0 (multiprocess mode cannot remove a label set)."""

    def __init__(self, connectors: ConnectorsView, registry: CollectorRegistry) -> None:
        self.connectors = connectors
        self.gauge = Gauge(
            "ecmahost_pool_connections",
            POOL_HELP,
            ["connector", "state"],
            multiprocess_mode="livesum",
            registry=registry,
        )
        self._reported: set[tuple[str, str]] = set()

    def refresh(self) -> None:
        reported = set()
        for name, state, value in pool_usage(self.connectors):
            self.gauge.labels(name, state).set(value)
            reported.add((name, state))
        for name, state in self._reported - reported:
            self.gauge.labels(name, state).set(0)
        self._reported = reported


def drop_dead_processes(folder: Path) -> None:
    """Remove the live-gauge files of worker processes that are gone (a crashed worker that the supervisor
    replaced), so their pool connections stop counting. Their counters stay: those requests were answered."""
    for path in folder.glob("gauge_live*_*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not pid_exists(int(pid)):  # a spawned worker's command line names no ecmahost
            with contextlib.suppress(FileNotFoundError):  # another worker's scrape got there first
                mark_process_dead(int(pid), str(folder))


class Metrics:
    """The host's metrics; `render` gives this process's values, or every worker's added up when the supervisor set
    `PROMETHEUS_MULTIPROC_DIR`."""

    def __init__(self, connectors: ConnectorsView) -> None:
        self.registry = CollectorRegistry()
        self.shared_dir = multiprocess_dir()
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
        self._shared_pools: SharedPools | None = None
        if self.shared_dir is None:
            self.registry.register(PoolCollector(connectors))
            self.registry.register(VersionCollector())
            self._exposed = self.registry
        else:
            self._shared_pools = SharedPools(connectors, self.registry)
            self._exposed = CollectorRegistry()
            MultiProcessCollector(self._exposed, path=str(self.shared_dir))
            self._exposed.register(VersionCollector())
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

    def refresh_pools(self) -> None:
        """Publish this process's pool usage to the other workers (nothing to do in a single process, where the
        pools are asked at scrape time)."""
        if self._shared_pools is not None:
            self._shared_pools.refresh()

    def render(self) -> bytes:
        """The Prometheus text: host-wide when several workers share `shared_dir`."""
        if self.shared_dir is not None:
            self.refresh_pools()
            drop_dead_processes(self.shared_dir)
        return generate_latest(self._exposed)
