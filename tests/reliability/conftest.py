"""Fixtures of the fault tests: private PostgreSQL and MariaDB servers for the session (tests/support/
private_servers.py; never the shared ones, which other suites use meanwhile), and `server`, the one of this
test's target, running again after the test whatever the test did to it. Tests create their own database on it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.private_servers import PrivateServer, private_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))  # e2e_host, when tests/e2e is not collected

from fault_host import TARGETS


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivateServer]:
    server = private_server("postgres")
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def private_mariadb() -> Iterator[PrivateServer]:
    server = private_server("mariadb")
    yield server
    server.destroy()


@pytest.fixture(params=TARGETS)
def server(request: pytest.FixtureRequest) -> Iterator[PrivateServer]:
    """The private server of this test's target, running again at the end whatever the test did to it."""
    running: PrivateServer = request.getfixturevalue(f"private_{request.param}")
    running.start()
    yield running
    running.thaw()
    running.start()
