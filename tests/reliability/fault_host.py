"""The real host (`ecmahost serve`, a subprocess over HTTPS) on the demo tables of a private database, with short
timeouts so a dead target answers `503` fast, and the host kill/restart a fault test needs.

It does not inject database faults (see support.private_servers) and checks nothing in the target (see
target_state).
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import pytest

from ecmahost.connectors.sql.demo_schema import create_demo_tables
from ecmahost.demo import demo_connector

from e2e_host import RunningHost, prepare_home, start_serve_host

TARGETS = [pytest.param("postgres", marks=pytest.mark.postgres), pytest.param("mariadb", marks=pytest.mark.mariadb)]
"""The private servers a fault test runs against (see conftest.py)."""
CONNECT_TIMEOUT = 2.0
STATEMENT_TIMEOUT = 3.0
TARGET_TIMEOUT = 5.0
POOL_TIMEOUT = 2.0


def fault_connector(url: str) -> dict[str, Any]:
    """The demo connector over `url`, with the short timeouts the fault tests rely on."""
    connector = demo_connector(url=url)
    connector["connection"].update(
        connect_timeout_seconds=CONNECT_TIMEOUT,
        statement_timeout_seconds=STATEMENT_TIMEOUT,
        pool_timeout_seconds=POOL_TIMEOUT,
    )
    connector["limits"] = {"target_timeout_seconds": TARGET_TIMEOUT}
    return connector


def start_fault_host(home: Path, url: str) -> RunningHost:
    """Create the demo tables in `url`, write the connector file into `home` and start the host."""
    asyncio.run(create_demo_tables(url, home))
    prepare_home(home, fault_connector(url))
    return start_serve_host(home)


def kill_host(host: RunningHost) -> None:
    """SIGKILL: no shutdown, in-flight requests are cut."""
    host.process.send_signal(signal.SIGKILL)
    host.process.wait()


def restart_host(host: RunningHost) -> RunningHost:
    """The same home served again (on a new free port: the e2e starter picks one)."""
    if host.process.poll() is None:
        kill_host(host)
    return start_serve_host(host.home)
