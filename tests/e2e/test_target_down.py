"""A target that is down: the host starts anyway, answers 503 with Retry-After quickly, and still serves
discovery (which needs no target)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from ecmahost.demo import demo_connector

from e2e_host import RunningHost, prepare_home, start_serve_host

pytestmark = pytest.mark.e2e

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    home = tmp_path_factory.mktemp("home-down")
    connector = demo_connector(url="postgresql://postgres@127.0.0.1:1/nowhere")
    connector["connection"]["connect_timeout_seconds"] = 2
    prepare_home(home, connector)
    running = start_serve_host(home)
    yield running
    running.stop()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/Users?filter=userName%20eq%20%22a%22", None),
        ("POST", "/Users", {"schemas": [CORE_USER], "userName": "a"}),
        ("GET", "/Users/some-id", None),
        ("DELETE", "/Users/some-id", None),
    ],
)
def test_requests_get_503_with_retry_after_within_the_connect_timeout(
    host: RunningHost, method: str, path: str, body: dict[str, object] | None
) -> None:
    with host.client() as scim:
        started = time.monotonic()
        response = scim.request(method, path, json=body)
        elapsed = time.monotonic() - started
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["status"] == "503"
    assert elapsed < 10, "a dead target must not hold the client"
    assert "127.0.0.1:1" not in response.text, "the connection string stays out of client errors"


def test_discovery_still_answers_without_the_target(host: RunningHost) -> None:
    with host.client() as scim:
        assert scim.get("/Schemas").status_code == 200
        assert scim.get("/ServiceProviderConfig").status_code == 200
