"""The request log, metrics and recent errors, through the real app (httpx's ASGI transport, SQLite target)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from ecmahost.config.store import ConnectorStore
from ecmahost.config.tokens import hash_token
from ecmahost.connectors.sql.demo_schema import create_demo_tables
from ecmahost.demo import demo_connector
from ecmahost.home import Home
from ecmahost.host import EMBEDDED, Host, build_runtime
from ecmahost.observability import activity_store as store
from ecmahost.observability.log_setup import LOG_FILE_NAME
from ecmahost.runtime import HostRuntime
from ecmahost.settings import HostSettings, LogLevel, LogLevels, MetricsSettings

TOKEN = "unit-secret-token-0123456789"
METRICS_TOKEN = "metrics-token-0123456789"
DOWN = "postgresql://postgres@127.0.0.1:1/x"


@pytest.fixture
def served(home: Home) -> Home:
    asyncio.run(create_demo_tables("sqlite:///demo.db", home.root))
    store = ConnectorStore(home)
    for name, url in {"demo": "sqlite:///demo.db", "down": DOWN}.items():
        store.save(demo_connector(name, url))
        store.set_token(name, TOKEN)
    return home


def send(
    home: Home,
    settings: HostSettings,
    *requests: tuple[str, str, dict[str, Any]],
    runtime: HostRuntime | None = None,
    peer: tuple[str, int] = ("127.0.0.1", 123),
) -> list[httpx.Response]:
    """Run the app (startup to shutdown) and send `(method, path, options)` requests in order from `peer`."""
    app = Host(home, EMBEDDED, settings=settings, runtime=runtime).app()

    async def run() -> list[httpx.Response]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=peer)
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with httpx.AsyncClient(transport=transport, base_url="https://testserver", headers=headers) as client:
                return [await client.request(method, path, **options) for method, path, options in requests]

    return asyncio.run(run())


def _log(home: Home) -> str:
    for handler in logging.getLogger("ecmahost").handlers:
        handler.flush()
    return (home.logs_dir / LOG_FILE_NAME).read_text()


def test_information_logs_each_request_with_the_returned_request_id(served, logging_for) -> None:
    settings = HostSettings(log_levels=LogLevels(host=LogLevel.INFORMATION))
    logging_for(settings)
    (response,) = send(
        served, settings, ("GET", "/ecma2host_demo/scim/Users", {"params": {"filter": 'userName eq "a"'}})
    )
    request_id = response.headers["X-Request-Id"]
    (line,) = [line for line in _log(served).splitlines() if request_id in line]
    assert " Information demo ecmahost.http.requests: GET /ecma2host_demo/scim/Users?filter=" in line
    assert "-> 200 in" in line
    assert " from 127.0.0.1 (request " in line
    assert TOKEN not in _log(served)


def test_the_request_line_and_the_journal_name_the_clients_address(served, logging_for) -> None:
    settings = HostSettings(log_levels=LogLevels(host=LogLevel.INFORMATION))
    logging_for(settings)
    (response,) = send(served, settings, ("GET", "/ecma2host_demo/scim/Users", {}), peer=("192.0.2.7", 1))
    request_id = response.headers["X-Request-Id"]
    (line,) = [line for line in _log(served).splitlines() if request_id in line]
    assert " from 192.0.2.7 (request " in line
    connection = store.connect(store.journal_path(served))
    try:
        assert store.by_request_id(connection, request_id)["client"] == "192.0.2.7"  # type: ignore[index]
    finally:
        connection.close()


def test_information_does_not_log_bodies_but_verbose_does_with_passwords_masked(served, logging_for) -> None:
    settings = HostSettings(log_levels=LogLevels(host=LogLevel.VERBOSE))
    logging_for(settings)
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bob", "password": "Hunter2!"}
    (created,) = send(served, settings, ("POST", "/ecma2host_demo/scim/Users", {"json": body}))
    assert created.status_code == 201
    text = _log(served)
    assert '"userName":"bob"' in text
    assert "Hunter2!" not in text
    assert TOKEN not in text


def test_error_level_logs_no_request_line(served, logging_for) -> None:
    settings = HostSettings()
    logging_for(settings)
    send(served, settings, ("GET", "/ecma2host_demo/scim/Users", {}))
    assert "ecmahost.http.requests" not in _log(served)


def test_target_down_is_logged_counted_and_kept_as_a_recent_error(served, logging_for) -> None:
    settings = HostSettings()
    logging_for(settings)
    runtime = build_runtime(served)
    response, metrics_answer = send(
        served, settings, ("GET", "/ecma2host_down/scim/Users", {}), ("GET", "/metrics", {}), runtime=runtime
    )
    metrics = metrics_answer.text
    assert response.status_code == 503
    assert 'ecmahost_target_errors_total{connector="down",kind="TargetUnavailable"} 1.0' in metrics
    assert 'ecmahost_requests_total{connector="down",operation="search",status="503"} 1.0' in metrics
    (event,) = runtime.recent_errors.snapshot()["down"]
    assert event["status"] == 503
    assert event["request_id"] == response.headers["X-Request-Id"]
    assert "Error       down ecmahost.http.requests: down answered 503 (TargetUnavailable)" in _log(served)


def test_unknown_connector_names_share_one_metrics_label(served) -> None:
    *_, answer = send(
        served,
        HostSettings(),
        ("GET", "/ecma2host_scan1/scim/Users", {}),
        ("GET", "/ecma2host_scan2/scim/Users", {}),
        ("GET", "/metrics", {}),
    )
    metrics = answer.text
    assert 'ecmahost_requests_total{connector="-",operation="search",status="404"} 2.0' in metrics
    assert "scan1" not in metrics


def test_metrics_need_the_metrics_token_when_one_is_set(served) -> None:
    settings = HostSettings(metrics=MetricsSettings(token_hash=hash_token(METRICS_TOKEN)))
    refused, answer = send(
        served,
        settings,
        ("GET", "/metrics", {}),
        ("GET", "/metrics", {"headers": {"Authorization": f"Bearer {METRICS_TOKEN}"}}),
    )
    assert refused.status_code == 401
    assert answer.status_code == 200
    assert "ecmahost_info" in answer.text


def test_metrics_can_be_turned_off(served) -> None:
    (answer,) = send(served, HostSettings(metrics=MetricsSettings(enabled=False)), ("GET", "/metrics", {}))
    assert answer.status_code == 404
