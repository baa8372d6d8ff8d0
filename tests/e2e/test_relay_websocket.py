"""Agents that reach NATS over WebSocket (wss://) only: the relay hands them the wss:// URL at registration, they
serve their site through an HTTP CONNECT proxy (tinyproxy allowing the WebSocket port only) or directly, `agent run`
and `serve --agent` alike, and a certificate that does not carry the URL's name is named with its fix by
`agent test` and in the agent's log."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e_host import RunningHost, start_demo_host, start_host
from entra_requests import create_user
from support.nats import PrivateNats
from support.proxy import PrivateProxy
from support.relay import AgentProcess, RelayStack, ecmahost, wait_for_line

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def no_environment_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The agents (child processes) use the proxy a test gives them, never one of the machine's environment."""
    for name in ("https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    running = start_demo_host(tmp_path_factory.mktemp("ws-host") / "home")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayStack]:
    relay = RelayStack(tmp_path_factory.mktemp("ws-relay"), budget=5, websocket=True)
    yield relay
    relay.stop()


def wss_agent(stack: RelayStack, host: RunningHost, site: str) -> AgentProcess:
    agent = stack.register_agent(site, stack.add_site(site), host.root, host.cert)
    assert agent.settings_data()["nats_urls"] == [stack.nats.ws_url]  # told by the relay: WebSocket only
    return agent


def a_user_reaches_the_host(stack: RelayStack, host: RunningHost, site: str, login: str) -> None:
    with stack.client(site) as scim:
        user = create_user(scim, login)
        assert scim.get(f"/Users/{user['id']}").status_code == 200
    with host.client() as direct:
        assert direct.get(f"/Users/{user['id']}").json()["userName"] == login


def test_an_agent_on_websocket_only_behind_a_connect_proxy_serves_its_site(
    stack: RelayStack, host: RunningHost, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert stack.nats.ws_port is not None
    proxy = PrivateProxy(tmp_path_factory.mktemp("ws-proxy"), [stack.nats.ws_port])
    try:
        agent = wss_agent(stack, host, "ws-behind")
        agent.settings(proxy=proxy.url)
        agent.start()
        assert "through the proxy" in agent.log.read_text()
        a_user_reaches_the_host(stack, host, "ws-behind", "ws.proxied")
        connects = proxy.connects()
        assert f"CONNECT localhost:{stack.nats.ws_port}" in connects
        assert f":{stack.nats.port}" not in connects
        checks = ecmahost("agent", "test", "--home", str(agent.home))
        assert checks.returncode == 0, checks.stdout
        for step in ("proxy", "TLS", "WebSocket", "authentication", "permissions", "round trip"):
            assert f"OK   {step}" in checks.stdout, checks.stdout
    finally:
        proxy.stop()


def test_an_agent_dials_websocket_directly_without_a_proxy(stack: RelayStack, host: RunningHost) -> None:
    agent = wss_agent(stack, host, "ws-direct")
    agent.start()
    assert "through the proxy" not in agent.log.read_text()
    a_user_reaches_the_host(stack, host, "ws-direct", "ws.direct")
    checks = ecmahost("agent", "test", "--home", str(agent.home))
    assert checks.returncode == 0, checks.stdout
    assert "OK   WebSocket" in checks.stdout
    assert "proxy" not in checks.stdout


def test_serve_agent_takes_its_sites_requests_over_websocket_through_the_proxy(
    stack: RelayStack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The host's own agent (`serve --agent`, in uvicorn's event loop) dials as `agent run` does."""
    assert stack.nats.ws_port is not None
    home = tmp_path_factory.mktemp("ws-serve-agent") / "home"
    start_demo_host(home).stop()
    assert ecmahost("log-level", "information", "--source", "host", "--home", str(home)).returncode == 0
    proxy = PrivateProxy(tmp_path_factory.mktemp("ws-serve-proxy"), [stack.nats.ws_port])
    code = stack.add_site("ws-in-host")
    agent = stack.register_agent("ws-in-host", code, "https://unused.invalid", home / "certs" / "host.crt")
    stack.agents.remove(agent)  # no `agent run`: the host runs it
    agent.settings(proxy=proxy.url)
    host = start_host(home, ["serve", "--home", str(home), "--bind", "127.0.0.1", "--agent", str(agent.home)])
    try:
        wait_for_line(host.log, "taking requests for the host in this process", host.process)
        a_user_reaches_the_host(stack, host, "ws-in-host", "ws.in.host")
        assert f"CONNECT localhost:{stack.nats.ws_port}" in proxy.connects()
    finally:
        host.stop()
        proxy.stop()


@pytest.fixture
def misnamed_nats(tmp_path: Path) -> Iterator[PrivateNats]:
    """A NATS server whose WebSocket certificate is for nats.example.org, dialled as localhost."""
    from ecmahost.relay.registry import RelayHome

    RelayHome(tmp_path / "relay").init()
    server = PrivateNats(tmp_path / "relay", websocket=True, names=("nats.example.org",))
    server.start()
    yield server
    server.stop()


def agent_of(folder: Path, url: str, ca: Path, proxy: str | None = None) -> AgentProcess:
    """An agent home written by hand (no relay): it dials `url`, trusting `ca`."""
    from ecmahost.agent import settings as agent_settings
    from ecmahost.relay.registry import new_seed

    home = folder / "agent"
    agent_settings.save(
        home,
        agent_settings.AgentSettings(site="lone", nats_urls=[url], nats_ca=str(ca), proxy=proxy, reconnect_seconds=0.5),
    )
    agent_settings.seed_file(home).write_bytes(new_seed())
    return AgentProcess(home, folder / "agent.log")


@pytest.mark.parametrize("through_proxy", [False, True], ids=["direct", "proxy"])
def test_a_certificate_without_the_urls_name_is_named_with_its_fix(
    misnamed_nats: PrivateNats, tmp_path: Path, through_proxy: bool
) -> None:
    assert misnamed_nats.ws_port is not None
    proxy = PrivateProxy(tmp_path / "proxy", [misnamed_nats.ws_port]) if through_proxy else None
    agent = agent_of(tmp_path, misnamed_nats.ws_url, misnamed_nats.ca, proxy.url if proxy else None)
    try:
        checks = ecmahost("agent", "test", "--home", str(agent.home))
        assert checks.returncode == 1
        assert "FAIL TLS" in checks.stdout, checks.stdout
        assert "Hostname mismatch" in checks.stdout
        assert "fix: the certificate does not name localhost" in checks.stdout
        assert ("OK   proxy" in checks.stdout) == through_proxy
        agent.start(wait=False)
        deadline = time.monotonic() + 30
        while "certificate was refused" not in agent.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        log = agent.log.read_text()
        # the name checked is the URL's, also through the proxy's loopback tunnel (never 127.0.0.1)
        assert "certificate is not valid for 'localhost'" in log, log
        assert "fix: the certificate does not name localhost" in log
        assert "taking requests" not in log
        agent.signal(signal.SIGTERM)  # while nats-py retries the first connection
        assert agent.wait(30) == 0
    finally:
        agent.stop()
        if proxy:
            proxy.stop()


def test_a_wss_url_that_is_not_a_websocket_listener_fails_at_the_upgrade(host: RunningHost, tmp_path: Path) -> None:
    """An HTTPS server that is not NATS's WebSocket listener (here the host): TLS passes, the upgrade does not."""
    agent = agent_of(tmp_path, f"wss://localhost:{host.port}/nats", host.cert)
    checks = ecmahost("agent", "test", "--home", str(agent.home))
    assert checks.returncode == 1
    assert "OK   TLS" in checks.stdout, checks.stdout
    assert "FAIL WebSocket" in checks.stdout
    assert "the upgrade was answered 404" in checks.stdout
    assert "fix: nats_urls must name the NATS server's websocket listener" in checks.stdout
