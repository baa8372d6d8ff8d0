"""Behind the relay the host sees the SCIM client's address, not the agent's: relay -> private NATS -> agent ->
host, with a forwarding agent (`agent run`, X-Forwarded-For over HTTPS) and in process (`serve --agent`).

The clients connect from different loopback addresses (Linux routes all of 127/8 to lo): a client sending wrong
tokens is throttled (429) while another client's right token, checked for the first time in that host process
after the throttling, is still accepted; the host's log and activity journal name each client's address. Headers
a client sends to pose as another address (`Ecmahost-Client`, `X-Forwarded-For`) change nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from test_relay_inprocess import serve_with_agent

from ecmahost.home import Home
from ecmahost.observability import activity_store as store
from ecmahost.observability.log_setup import LOG_FILE_NAME

from e2e_host import TOKEN, RunningHost, start_demo_host
from support.relay import RelayStack

pytestmark = [pytest.mark.e2e]

BAD, GOOD, DIRECT = "127.0.0.2", "127.0.0.3", "127.0.0.4"
MAX_FAILURES = 3
HOST_YAML = f"auth_limit: {{max_failures: {MAX_FAILURES}, window_seconds: 3600}}\nlog_levels: {{host: Information}}\n"
SPOOF = {"Ecmahost-Client": GOOD, "X-Forwarded-For": GOOD, "Forwarded": f"for={GOOD}"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayStack]:
    relay = RelayStack(tmp_path_factory.mktemp("client-address-relay"), budget=10)
    yield relay
    relay.stop()


def limited_home(folder: Path) -> Path:
    """A home whose host.yaml has a low failed-token limit and logs each request (Information)."""
    home = folder / "home"
    home.mkdir(parents=True)
    (home / "host.yaml").write_text(HOST_YAML)
    return home


def forwarding_agent(stack: RelayStack, folder: Path, site: str) -> RunningHost:
    """`ecmahost demo` (SQLite) serving the home, and `ecmahost agent run` forwarding the site's requests to it."""
    host = start_demo_host(limited_home(folder))
    stack.register_agent(site, stack.add_site(site), host.root, host.cert).start()
    return host


def in_process_agent(stack: RelayStack, folder: Path, site: str) -> RunningHost:
    """`ecmahost serve --agent` on the home `ecmahost demo` made (its tables, token and certificate)."""
    home = limited_home(folder)
    start_demo_host(home).stop()
    return serve_with_agent(home, stack, site)


def client(stack: RelayStack, site: str, address: str, token: str) -> httpx.Client:
    """A SCIM client of the relay whose connections come from `address`."""
    transport = httpx.HTTPTransport(verify=stack.tls(), local_address=address)
    base = f"{stack.url}/sites/{site}/ecma2host_demo/scim"
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, transport=transport, timeout=60)


def wait_for(found: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not found():
        assert time.monotonic() < deadline, f"not seen within {seconds} s: {what}"
        time.sleep(0.1)


def host_log(host: RunningHost) -> str:
    path = host.home / "logs" / LOG_FILE_NAME
    return path.read_text(errors="replace") if path.exists() else ""


def journal(host: RunningHost) -> list[dict[str, object]]:
    connection = store.open_for_reading(Home(host.home))
    if connection is None:
        return []
    try:
        return store.search(connection, store.Query(limit=1000))
    finally:
        connection.close()


@pytest.mark.parametrize("start", [forwarding_agent, in_process_agent], ids=["agent-run", "serve-agent"])
def test_one_clients_wrong_tokens_throttle_that_client_only(
    stack: RelayStack, tmp_path: Path, start: Callable[[RelayStack, Path, str], RunningHost]
) -> None:
    site = f"site-{start.__name__.replace('_', '-')}"
    host = start(stack, tmp_path, site)
    try:
        with client(stack, site, BAD, "not-the-token") as bad, client(stack, site, GOOD, TOKEN) as good:
            statuses = [bad.get("/Users", headers=SPOOF).status_code for _ in range(MAX_FAILURES + 1)]
            assert statuses == [401] * MAX_FAILURES + [429]
            first = good.get("/Users")  # the right token, never verified in this process before
            assert first.status_code == 200, first.text
            assert bad.get("/Users").status_code == 429
            good_id = first.headers["x-request-id"]
        wait_for(lambda: good_id in host_log(host), "the good client's request line")
        log = host_log(host)
        assert log.count(f"rejected token for connector demo from {BAD}") == MAX_FAILURES
        (line,) = [line for line in log.splitlines() if good_id in line]
        assert "-> 200 in" in line
        assert f" from {GOOD} (request " in line
        wait_for(lambda: any(row["request_id"] == good_id for row in journal(host)), "the journal's records")
        clients = {(row["status"], row["client"]) for row in journal(host)}
        assert clients == {(401, BAD), (429, BAD), (200, GOOD)}
    finally:
        host.stop()


def test_the_host_believes_x_forwarded_for_only_from_its_trusted_proxies(stack: RelayStack, tmp_path: Path) -> None:
    """A client reaching the host directly (not from loopback's 127.0.0.1) cannot choose its address."""
    host = forwarding_agent(stack, tmp_path, "site-direct")
    try:
        transport = httpx.HTTPTransport(verify=host.tls(), local_address=DIRECT)
        headers = {"Authorization": "Bearer not-the-token", "X-Forwarded-For": GOOD}
        with httpx.Client(base_url=host.tenant_url, headers=headers, transport=transport, timeout=30) as direct:
            assert direct.get("/Users").status_code == 401
        wait_for(lambda: "rejected token" in host_log(host), "the rejected token")
        assert f"rejected token for connector demo from {DIRECT}" in host_log(host)
        assert f"from {GOOD}" not in host_log(host)
    finally:
        host.stop()


def test_behind_a_trusted_front_proxy_the_relay_takes_the_client_from_x_forwarded_for(tmp_path: Path) -> None:
    """`relay init --trusted-proxy 127.0.0.5`: from that peer the first address of X-Forwarded-For from the right
    that is not a trusted proxy is the client; any other peer is the client itself, whatever it sends."""
    proxy = "127.0.0.5"
    relay = RelayStack(tmp_path / "relay", budget=10, trusted_proxies=(proxy,))
    try:
        host = in_process_agent(relay, tmp_path, "behind-proxy")
        try:
            with (
                client(relay, "behind-proxy", proxy, TOKEN) as front,
                client(relay, "behind-proxy", BAD, TOKEN) as other,
            ):
                forwarded = front.get("/Users", headers={"X-Forwarded-For": f"203.0.113.9, 192.0.2.7, {proxy}"})
                spoofed = other.get("/Users", headers={"X-Forwarded-For": "192.0.2.8"})
            expected = {forwarded.headers["x-request-id"]: "192.0.2.7", spoofed.headers["x-request-id"]: BAD}
            wait_for(lambda: all(request_id in host_log(host) for request_id in expected), "both request lines")
            lines = host_log(host).splitlines()
            for request_id, address in expected.items():
                (line,) = [line for line in lines if request_id in line]
                assert f" from {address} (request " in line
        finally:
            host.stop()
    finally:
        relay.stop()
