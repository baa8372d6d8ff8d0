"""Metrics: request counts and latency by connector/operation/status, and pool usage reported by connectors."""

from __future__ import annotations

from types import SimpleNamespace

from ecmahost.observability.metrics import Metrics


class PoolReporting:
    def pool_status(self) -> dict[str, int]:
        return {"size": 5, "checked_out": 2}


def test_requests_and_latency_are_counted_per_label() -> None:
    metrics = Metrics(dict)
    metrics.observe("demo", "search", 200, 0.003)
    metrics.observe("demo", "search", 200, 0.2)
    metrics.observe(None, "get", 404, 0.001)
    text = metrics.render().decode()
    assert 'ecmahost_requests_total{connector="demo",operation="search",status="200"} 2.0' in text
    assert 'ecmahost_requests_total{connector="-",operation="get",status="404"} 1.0' in text
    assert 'ecmahost_request_duration_seconds_bucket{connector="demo",le="0.005",operation="search"} 1.0' in text
    assert 'ecmahost_request_duration_seconds_count{connector="demo",operation="search"} 2.0' in text


def test_pool_usage_comes_from_connectors_that_report_it() -> None:
    connectors = {"hr": SimpleNamespace(connector=PoolReporting()), "plain": SimpleNamespace(connector=object())}
    text = Metrics(lambda: connectors).render().decode()
    assert 'ecmahost_pool_connections{connector="hr",state="checked_out"} 2.0' in text
    assert 'ecmahost_pool_connections{connector="hr",state="size"} 5.0' in text
    assert 'connector="plain"' not in text


def test_two_apps_in_one_process_have_separate_registries() -> None:
    first, second = Metrics(dict), Metrics(dict)
    first.observe("demo", "get", 200, 0.01)
    assert "ecmahost_requests_total{" not in second.render().decode()
