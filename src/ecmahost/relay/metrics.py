"""Per-site metrics of the relay, in their own registry, rendered for `GET /metrics`.

    ecmahost_relay_requests_total{site,status}     requests answered (the status the client saw)
    ecmahost_relay_errors_total{site,kind}         answers made by the relay itself: no_responders, timeout,
                                                   too_large, bad_reply, nats_down, bad_request,
                                                   client_gone
    ecmahost_relay_request_duration_seconds{site}  latency histogram, relay in to relay out

`site` is `-` for a name that is not a registered site, so a scanner cannot grow the label set.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

CONTENT_TYPE = CONTENT_TYPE_LATEST


class RelayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ecmahost_relay_requests_total", "Requests answered", ["site", "status"], registry=self.registry
        )
        self.errors = Counter(
            "ecmahost_relay_errors_total", "Answers made by the relay", ["site", "kind"], registry=self.registry
        )
        self.duration = Histogram(
            "ecmahost_relay_request_duration_seconds", "Relay latency", ["site"], registry=self.registry
        )

    def record(self, site: str, status: int, seconds: float, error: str | None = None) -> None:
        self.requests.labels(site, str(status)).inc()
        self.duration.labels(site).observe(seconds)
        if error:
            self.errors.labels(site, error).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
