"""An agent that may reach NATS only through an HTTP CONNECT proxy (tinyproxy): it registers, takes the site's
requests through the proxy (TLS end to end), and a proxy that refuses the port is reported by `agent test`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from e2e_host import RunningHost, start_demo_host
from support.proxy import PrivateProxy
from support.relay import RelayStack, ecmahost

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    running = start_demo_host(tmp_path_factory.mktemp("proxy-host") / "home")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayStack]:
    relay = RelayStack(tmp_path_factory.mktemp("proxy-relay"), budget=5)
    yield relay
    relay.stop()


def test_an_agent_behind_a_connect_proxy_serves_its_site(
    stack: RelayStack, host: RunningHost, tmp_path_factory: pytest.TempPathFactory
) -> None:
    proxy = PrivateProxy(tmp_path_factory.mktemp("proxy"), [stack.nats.port])
    try:
        agent = stack.register_agent("behind", stack.add_site("behind"), host.root, host.cert)
        agent.settings(proxy=proxy.url)
        agent.start()
        assert "through the proxy" in agent.log.read_text()
        with stack.client("behind") as scim:
            for _ in range(5):
                assert scim.get("/Users", params={"count": 1}).status_code == 200
        assert f"CONNECT localhost:{stack.nats.port}" in proxy.connects()
        checks = ecmahost("agent", "test", "--home", str(agent.home))
        assert checks.returncode == 0, checks.stdout
        assert "OK   proxy" in checks.stdout
    finally:
        proxy.stop()


def test_a_proxy_that_refuses_the_port_is_named_with_its_fix(
    stack: RelayStack, host: RunningHost, tmp_path_factory: pytest.TempPathFactory
) -> None:
    proxy = PrivateProxy(tmp_path_factory.mktemp("strict-proxy"), [443])
    try:
        agent = stack.register_agent("strict", stack.add_site("strict"), host.root, host.cert)
        agent.settings(proxy=proxy.url)
        checks = ecmahost("agent", "test", "--home", str(agent.home))
        assert checks.returncode == 1
        assert "FAIL proxy" in checks.stdout
        assert "ConnectPort" in checks.stdout
    finally:
        proxy.stop()
