"""The Entra contract (`test_entra_contract`, every request of shared/entra-scim-contract.md) run in this process
through `httpx.ASGITransport` against the host's `EMBEDDED` role: the demo connector's object types on
`kit.MemoryConnector`, no port, no TLS, no subprocess, no database, each test in milliseconds. The same tests run
against the served host over HTTPS on SQLite, PostgreSQL and MariaDB in `test_entra_contract`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from in_process import InProcessHost
from test_entra_contract import *  # noqa: F403 - the same tests, against the host below

pytestmark: list[pytest.MarkDecorator] = []


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessHost]:  # replaces conftest's served host
    running = InProcessHost(tmp_path_factory.mktemp("in-process"))
    yield running
    running.stop()
