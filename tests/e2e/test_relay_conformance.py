"""A strict SCIM client that reaches the host only through the relay sees what it sees directly: scim2-tester and
scim-sanity run against one core-only SQL connector (the demo tables without the demo's limits, a schema the relay
knows nothing of) once at the host and once through relay -> NATS -> a forwarding agent, and must give the same
checks passed and failed, with no 5xx from the host. This is the relay's transparency (status, headers and body
unchanged) checked by tools we did not write, beside the Entra sequence of test_relay_e2e."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_conformance import create_open_demo_tables

from conformance import Outcome, run_scim2_tester, run_scim_sanity, server_errors, sql_connector
from e2e_connectors import ConnectorHost, start_connector_host
from e2e_host import TOKEN
from support.relay import RelayStack

pytestmark = [pytest.mark.e2e]

SITE = "strict"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConnectorHost]:
    home = tmp_path_factory.mktemp("relay-conformance") / "home"
    home.mkdir()
    url = f"sqlite:///{home / 'people.db'}"
    asyncio.run(create_open_demo_tables(url))
    served = start_connector_host(home, sql_connector(url))
    yield served
    served.stop()


@dataclass(frozen=True)
class Relayed:
    url: str
    cert: Path


@pytest.fixture(scope="module")
def relayed(host: ConnectorHost, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Relayed]:
    """The host's connector behind a relay: a site whose forwarding agent (`agent run`) hands requests to the host."""
    stack = RelayStack(tmp_path_factory.mktemp("relay-conformance-relay"), budget=20)
    try:
        stack.register_agent(SITE, stack.add_site(SITE), host.root, host.cert).start()
        yield Relayed(f"{stack.url}/sites/{SITE}/ecma2host_{host.connector}/scim", stack.cert)
    finally:
        stack.stop()


Tool = Callable[[str, str, str, Path], Outcome]


@pytest.mark.parametrize("tool", [run_scim2_tester, run_scim_sanity], ids=["scim2-tester", "scim-sanity"])
def test_a_strict_client_sees_the_same_host_through_the_relay(
    tool: Tool, host: ConnectorHost, relayed: Relayed, capsys: pytest.CaptureFixture[str]
) -> None:
    direct = tool("sqlite-open", host.tenant_url, TOKEN, host.cert)
    since = host.log.stat().st_size
    through = tool("sqlite-open via relay", relayed.url, TOKEN, relayed.cert)
    through.server_errors = server_errors(host.log, since)
    with capsys.disabled():
        print(f"\n{direct.figures}\n{through.figures}")
    assert through.passed > 0, through.figures
    assert sorted(through.failed) == sorted(direct.failed), (direct.failures, through.failures)
    assert (through.passed, through.skipped) == (direct.passed, direct.skipped)
    assert not through.server_errors, through.server_errors
