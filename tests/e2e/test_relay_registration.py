"""Registration and isolation: a one-time code enrols an agent's public key for one site; a wrong, spent or expired
code, an unknown key and a revoked key are refused; an agent of site A never receives site B's requests."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import nats.errors
import pytest

from ecmahost.relay import envelope
from ecmahost.relay.registry import RelayHome, new_seed

from e2e_host import RunningHost, start_demo_host
from entra_requests import assert_error
from support.relay import AgentProcess, RelayStack, ecmahost

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    running = start_demo_host(tmp_path_factory.mktemp("registration-host") / "home")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayStack]:
    relay = RelayStack(tmp_path_factory.mktemp("registration"), budget=3)
    yield relay
    relay.stop()


def register(stack: RelayStack, code: str, home: Path, host: RunningHost) -> tuple[int, str]:
    done = ecmahost(
        "agent", "register", "--relay", stack.url, "--code", code, "--home", str(home),
        "--host-url", host.root, "--host-ca", str(host.cert), "--relay-ca", str(stack.cert),
        "--nats-ca", str(stack.nats.ca),
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def test_registration_sends_only_the_public_key_and_a_code_works_once(
    stack: RelayStack, host: RunningHost, tmp_path: Path
) -> None:
    code = stack.add_site("north")
    status, output = register(stack, code, tmp_path / "a1", host)
    assert status == 0, output
    seed = (tmp_path / "a1" / "agent.nk").read_bytes()
    assert seed.startswith(b"SU")
    assert (tmp_path / "a1" / "agent.nk").stat().st_mode & 0o077 == 0
    assert seed.decode() not in (stack.home / "agents.json").read_text()
    assert seed.decode() not in (stack.home / "nats-auth.conf").read_text()
    status, output = register(stack, code, tmp_path / "a2", host)
    assert status != 0
    assert "unknown registration code" in output


def test_a_wrong_or_expired_code_is_refused(stack: RelayStack, host: RunningHost, tmp_path: Path) -> None:
    status, output = register(stack, "not-a-code", tmp_path / "w", host)
    assert status != 0
    assert "unknown registration code" in output
    expired = ecmahost("relay", "site", "add", "north", "--minutes", "0", "--home", str(stack.home))
    status, output = register(stack, expired.stdout.strip().splitlines()[-1], tmp_path / "e", host)
    assert status != 0
    assert "expired" in output


async def connect(stack: RelayStack, seed: bytes, errors: list[str] | None = None) -> nats.aio.client.Client:
    async def on_error(exc: Exception) -> None:
        if errors is not None:
            errors.append(str(exc))

    return await nats.connect(
        stack.nats.url,
        tls=ssl.create_default_context(cafile=str(stack.nats.ca)),
        nkeys_seed_str=seed.decode(),
        allow_reconnect=False,
        max_reconnect_attempts=0,
        error_cb=on_error,
        connect_timeout=5,
    )


def test_an_unregistered_key_is_refused_by_nats(stack: RelayStack) -> None:
    async def attempt() -> None:
        await connect(stack, new_seed())

    with pytest.raises((nats.errors.Error, OSError, asyncio.TimeoutError)):
        asyncio.run(attempt())


def start_agent(stack: RelayStack, site: str, name: str, host: RunningHost) -> AgentProcess:
    agent = stack.register_agent(name, stack.add_site(site), host.root, host.cert)
    agent.start()
    return agent


def served(stack: RelayStack, agent: AgentProcess) -> int:
    time.sleep(1.5)  # two heartbeats: the relay has the agent's latest count
    return int(RelayHome(stack.home).seen().get(agent.id, {}).get("served", 0))


def test_an_agent_of_site_a_never_receives_site_b_requests(stack: RelayStack, host: RunningHost) -> None:
    east = start_agent(stack, "east", "east", host)
    west = start_agent(stack, "west", "west", host)
    before = served(stack, east)
    with stack.client("west") as scim:
        for _ in range(10):
            assert scim.get("/Users", params={"count": 1}).status_code == 200
    assert served(stack, east) == before
    assert served(stack, west) >= 10

    errors: list[str] = []

    async def snoop() -> int:
        """East's own key tries to listen to west's subjects: the server refuses the subscription."""
        nc = await connect(stack, (east.home / "agent.nk").read_bytes().strip(), errors)
        received: list[object] = []

        async def keep(message: object) -> None:
            received.append(message)

        await nc.subscribe("ecmahost.req.west.>", cb=keep)
        await nc.subscribe("ecmahost.req.west.>", queue="ecmahost.west", cb=keep)
        await nc.flush()
        await asyncio.sleep(0.5)
        with stack.client("west") as scim:
            for _ in range(5):
                await asyncio.to_thread(scim.get, "/Users")
        await asyncio.sleep(0.5)
        await nc.close()
        return len(received)

    assert asyncio.run(snoop()) == 0
    assert any("permissions violation" in error.lower() for error in errors), errors

    async def pose() -> None:
        """East's key publishes a heartbeat claiming to be west's agent: the relay ignores it."""
        nc = await connect(stack, (east.home / "agent.nk").read_bytes().strip())
        fake = {"id": west.id, "hostname": "impostor", "version": "0", "connected_since": 0, "in_flight": 0}
        for _ in range(5):
            await nc.publish("ecmahost.hb.east", json.dumps(fake).encode())
        await nc.flush()
        await nc.close()

    asyncio.run(pose())
    time.sleep(2)
    assert RelayHome(stack.home).seen()[west.id]["hostname"] != "impostor"


def test_an_agent_cannot_publish_a_request_so_cannot_forge_a_client_address(
    stack: RelayStack, host: RunningHost
) -> None:
    """Only the relay publishes requests (and sets `Ecmahost-Client` in them): an agent's key that publishes a
    request envelope, to another site or its own, is refused by the server and reaches no agent."""
    up = start_agent(stack, "up", "up", host)
    down = start_agent(stack, "down", "down", host)
    before = served(stack, down), served(stack, up)
    errors: list[str] = []
    forged = envelope.HttpRequest("GET", "/ecma2host_demo/scim/Users", {}, b"", 5000, "192.0.2.66")

    async def forge() -> None:
        nc = await connect(stack, (up.home / "agent.nk").read_bytes().strip(), errors)
        for site in ("down", "up"):
            await nc.publish(envelope.request_subject(site, "demo"), envelope.encode_request(forged), reply="x")
        await nc.flush()
        await asyncio.sleep(0.5)
        await nc.close()

    asyncio.run(forge())
    refused = [error.lower() for error in errors if "permissions violation for publish" in error.lower()]
    for site in ("down", "up"):
        assert any(f'"ecmahost.req.{site}.demo"' in error for error in refused), errors
    assert (served(stack, down), served(stack, up)) == before


def test_a_revoked_agent_is_cut_off_and_cannot_come_back(stack: RelayStack, host: RunningHost) -> None:
    south = start_agent(stack, "south", "south", host)
    with stack.client("south") as scim:
        assert scim.get("/Users").status_code == 200
        listing = ecmahost("relay", "agents", "--home", str(stack.home))
        assert south.id[:12] in listing.stdout
        done = ecmahost("relay", "agents", "revoke", south.id[:20], "--home", str(stack.home))
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 20
        while scim.get("/Users").status_code == 200:
            assert time.monotonic() < deadline, "the revoked agent still answers"
            time.sleep(0.2)
        assert_error(scim.get("/Users"), 503)
        time.sleep(2)  # the agent keeps trying to reconnect: still refused
        assert_error(scim.get("/Users"), 503)
    assert "authorization violation" in south.log.read_text().lower()
    assert south.id not in RelayHome(stack.home).agents()
