"""The host's protective limits on the real host: failed token checks per client, the time one request may take,
and concurrent requests per connector."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ecmahost.connectors.sql.demo_schema import create_demo_tables
from ecmahost.demo import demo_connector

from e2e_host import TOKEN, RunningHost, prepare_home, start_serve_host

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    home = tmp_path_factory.mktemp("home-limits")
    database = home / "limits.db"
    sqlite3.connect(database).close()
    connector = demo_connector(url=f"sqlite:///{database}")
    # SQLite waits for a lock up to its busy timeout (the connect timeout) even after the request was cancelled:
    # keep it short so the test shows the request budget, not SQLite's wait.
    connector["connection"]["connect_timeout_seconds"] = 1.5
    connector["limits"] = {"request_timeout_seconds": 1, "max_concurrent_requests": 1, "queue_timeout_seconds": 0.2}
    prepare_home(home, connector)
    asyncio.run(create_demo_tables(f"sqlite:///{database}", home))
    running = start_serve_host(home)
    yield running
    running.stop()


def _database(host: RunningHost) -> Path:
    return host.home / "limits.db"


@pytest.fixture
def locked(host: RunningHost) -> Iterator[None]:
    """An exclusive lock on the SQLite target, as a long migration would hold: every read waits."""
    connection = sqlite3.connect(_database(host), isolation_level=None, check_same_thread=False)
    connection.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


def test_a_request_slower_than_its_budget_gets_503_with_retry_after(host: RunningHost, locked: None) -> None:
    with host.client() as scim:
        started = time.monotonic()
        response = scim.post(
            "/Users", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a"}
        )
        elapsed = time.monotonic() - started
    assert response.status_code == 503, response.text
    assert "request_timeout_seconds" in response.json()["detail"]
    assert int(response.headers["retry-after"]) > 0
    assert elapsed < 4


def test_requests_over_the_concurrency_limit_get_429(host: RunningHost, locked: None) -> None:
    statuses: list[int] = []

    def slow_request() -> None:
        with host.client() as scim:
            statuses.append(scim.get("/Users").status_code)

    first = threading.Thread(target=slow_request)
    first.start()
    time.sleep(0.3)  # the first request now holds the connector's only slot, waiting on the lock
    with host.client() as scim:
        response = scim.get("/Users")
    first.join()
    assert response.status_code == 429, response.text
    assert response.headers["retry-after"] == "1"
    assert "max_concurrent_requests" in response.json()["detail"]
    assert statuses == [503]


def test_repeated_wrong_tokens_block_new_guesses_but_not_the_right_token(host: RunningHost) -> None:
    with httpx.Client(verify=host.tls(), base_url=host.tenant_url) as client:
        assert client.get("/Users", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        wrong = [client.get("/Users", headers={"Authorization": "Bearer wrong-token-0000"}) for _ in range(10)]
        assert {r.status_code for r in wrong} == {401}
        blocked = client.get("/Users", headers={"Authorization": "Bearer wrong-token-0000"})
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
        right = client.get("/Users", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200, "the right token is never refused for someone else's failures"
