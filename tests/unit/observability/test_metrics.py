"""Metrics: request counts and latency by connector/operation/status, pool usage reported by connectors, and the
sum over worker processes when they share a folder."""

from __future__ import annotations

import multiprocessing
from types import SimpleNamespace
from typing import Any

from ecmahost import __version__
from ecmahost.observability.metrics import MULTIPROCESS_ENV, Metrics


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


def _worker(requests: int, done: Any, stop: Any) -> None:
    """One worker process of a multi-worker host: counts `requests`, publishes its pool, then stays alive until
    told to stop."""
    metrics = Metrics(lambda: {"hr": SimpleNamespace(connector=PoolReporting())})
    for _ in range(requests):
        metrics.observe("hr", "get", 200, 0.003)
    metrics.target_error("hr", "TargetUnavailable")
    metrics.refresh_pools()
    done.release()
    stop.wait(60)


def _scrape(out: Any) -> None:
    """Another process of the same host answering `/metrics`."""
    out.put(Metrics(dict).render().decode())


def _value(text: str, sample: str) -> float | None:
    lines = [line for line in text.splitlines() if line.startswith(sample + " ")]
    assert len(lines) <= 1, lines
    return float(lines[0].rsplit(" ", 1)[1]) if lines else None


def test_with_a_shared_folder_every_process_renders_the_counts_of_all(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(MULTIPROCESS_ENV, str(tmp_path))  # as the supervisor does before it spawns its workers
    context = multiprocessing.get_context("spawn")
    done, stop, out = context.Semaphore(0), context.Event(), context.Queue()
    workers = [context.Process(target=_worker, args=(requests, done, stop)) for requests in (3, 4)]
    for worker in workers:
        worker.start()
    for _ in workers:
        assert done.acquire(timeout=60)

    def scrape() -> str:
        scraper = context.Process(target=_scrape, args=(out,))
        scraper.start()
        text = out.get(timeout=60)
        scraper.join(timeout=60)
        return text

    live = scrape()
    assert _value(live, 'ecmahost_requests_total{connector="hr",operation="get",status="200"}') == 7
    assert _value(live, 'ecmahost_request_duration_seconds_count{connector="hr",operation="get"}') == 7
    assert _value(live, 'ecmahost_target_errors_total{connector="hr",kind="TargetUnavailable"}') == 2
    assert _value(live, 'ecmahost_pool_connections{connector="hr",state="size"}') == 10
    assert _value(live, 'ecmahost_pool_connections{connector="hr",state="checked_out"}') == 4
    assert _value(live, 'ecmahost_info{version="' + __version__ + '"}') == 1

    stop.set()
    for worker in workers:
        worker.join(timeout=60)
    after = scrape()  # the requests the gone workers answered still count; their pools no longer do
    assert _value(after, 'ecmahost_requests_total{connector="hr",operation="get",status="200"}') == 7
    assert "ecmahost_pool_connections{" not in after
