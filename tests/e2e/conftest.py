"""End-to-end fixtures: the real host over HTTPS on SQLite, PostgreSQL and MariaDB (one host per target per
module)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from e2e_host import RunningHost, start_demo_host

TARGETS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
]


@pytest.fixture(scope="module", params=TARGETS)
def host(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    target = None if request.param == "sqlite" else request.getfixturevalue(f"{request.param}_url")
    running = start_demo_host(tmp_path_factory.mktemp(f"home-{request.param}"), target)
    yield running
    running.stop()


@pytest.fixture
def scim(host: RunningHost) -> Iterator[httpx.Client]:
    with host.client() as client:
        yield client
