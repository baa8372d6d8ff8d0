"""The relay path end to end: a SCIM client that reaches only the relay provisions into PostgreSQL behind an agent
(relay -> private NATS over TLS -> agent -> host over HTTPS), and the relay's own answers when that path fails."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import nats
import pytest
from sqlalchemy import create_engine, text

from e2e_host import RunningHost, start_demo_host
from entra_requests import CORE_GROUP, assert_error, create_user, patch
from support.databases import postgres_database
from support.relay import TOKEN, RelayStack, ecmahost

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def host(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    running = start_demo_host(tmp_path_factory.mktemp("relay-host") / "home", database)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def stack(host: RunningHost, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayStack]:
    relay = RelayStack(tmp_path_factory.mktemp("relay-stack"), budget=3, max_body=64 * 1024)
    relay.register_agent("paris", relay.add_site("paris"), host.root, host.cert).start()
    yield relay
    relay.stop()


def rows(database: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    engine = create_engine(database.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def test_the_entra_sequence_through_the_relay_writes_the_database(stack: RelayStack, database: str) -> None:
    with stack.client("paris") as scim:
        probe = scim.get("/Users", params={"filter": 'userName eq "nobody-at-all"'})
        assert probe.status_code == 200, probe.text
        assert probe.json()["totalResults"] == 0
        user = create_user(scim, "relay.alice")
        assert rows(database, 'SELECT "FirstName" FROM "Employees" WHERE "ContosoLogin" = :l', l="relay.alice") == [
            ("givenName",)
        ]
        found = scim.get("/Users", params={"filter": 'userName eq "relay.alice"'}).json()
        assert [r["id"] for r in found["Resources"]] == [user["id"]]
        change = patch({"op": "Replace", "path": "name.givenName", "value": "Alice"})
        assert scim.patch(f"/Users/{user['id']}", json=change).status_code in (200, 204)
        assert rows(database, 'SELECT "FirstName" FROM "Employees" WHERE "ContosoLogin" = :l', l="relay.alice") == [
            ("Alice",)
        ]
        group = scim.post("/Groups", json={"schemas": [CORE_GROUP], "displayName": "relay-team"})
        assert group.status_code == 201, group.text
        gid = group.json()["id"]
        add = patch({"op": "Add", "path": "members", "value": [{"value": user["id"]}]})
        assert scim.patch(f"/Groups/{gid}", json=add).status_code in (200, 204)
        assert rows(database, 'SELECT "MemberGUID" FROM "GroupMembers" WHERE "GroupGUID" = :g', g=gid) == [
            (user["id"],)
        ]
        assert scim.delete(f"/Users/{user['id']}").status_code == 204
        assert rows(database, 'SELECT 1 FROM "Employees" WHERE "ContosoLogin" = :l', l="relay.alice") == []
        assert scim.get(f"/Users/{user['id']}").status_code == 404


def test_the_host_answers_headers_and_errors_unchanged(stack: RelayStack) -> None:
    with stack.client("paris") as scim:
        user = create_user(scim, "relay.bob")
        created = scim.get(f"/Users/{user['id']}")
        assert created.headers["content-type"].startswith("application/scim+json")
        duplicate = scim.post("/Users", json={**created.json(), "id": None})
        assert_error(duplicate, 409, "uniqueness")


def test_the_connector_token_travels_to_the_host_which_checks_it(stack: RelayStack) -> None:
    with stack.client("paris", token="not-the-token") as scim:
        assert scim.get("/Users").status_code == 401
    with stack.client("paris", token=None) as scim:
        assert scim.get("/Users").status_code == 401


def test_a_site_without_agents_is_503_with_retry_after_at_once(stack: RelayStack) -> None:
    stack.add_site("lyon")
    with stack.client("lyon") as scim:
        answer = scim.get("/Users")
    body = assert_error(answer, 503)
    assert answer.headers["retry-after"]
    assert "no agent" in body["detail"]


def test_an_unknown_site_is_404(stack: RelayStack) -> None:
    with stack.client("nowhere") as scim:
        assert_error(scim.get("/Users"), 404)


def test_a_body_over_the_maximum_is_413_before_any_agent_sees_it(stack: RelayStack) -> None:
    with stack.client("paris") as scim:
        big = {"schemas": [CORE_GROUP], "displayName": "x" * (70 * 1024)}
        assert_error(scim.post("/Groups", json=big), 413)
        chunks = (b"a" * 8192 for _ in range(10))  # no Content-Length: refused while streaming
        answer = scim.post("/Groups", content=chunks, headers={"content-type": "application/scim+json"})
        assert_error(answer, 413)


class RogueAgent:
    """A registered agent that misbehaves: never answers, or answers with something that is not an envelope."""

    def __init__(self, stack: RelayStack, site: str, mode: str) -> None:
        from ecmahost.relay.registry import RelayHome, new_seed, public_key

        stack.add_site(site)
        self.seed = new_seed()
        RelayHome(stack.home, stack.nats.pid_file).add_agent(site, public_key(self.seed))
        self.stack, self.site, self.mode = stack, site, mode
        self.ready, self.done = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self.thread.start()
        assert self.ready.wait(20)

    async def _run(self) -> None:
        import ssl

        for _ in range(50):  # the server reloads its authorization file: retry until the new key is known
            try:
                nc = await nats.connect(
                    self.stack.nats.url,
                    tls=ssl.create_default_context(cafile=str(self.stack.nats.ca)),
                    nkeys_seed_str=self.seed.decode(),
                    max_reconnect_attempts=0,
                    allow_reconnect=False,
                )
                break
            except Exception:
                await asyncio.sleep(0.1)

        async def answer(message: nats.aio.msg.Msg) -> None:
            if self.mode == "garbage":
                await nc.publish(message.reply, b"not an envelope")
            elif self.mode == "envelope1":  # an agent of ecmahost before ECMAHOST/2: the reply in NATS headers
                await nc.publish(message.reply, b"{}", headers={"Ecmahost-Status": "200"})

        await nc.subscribe(f"ecmahost.req.{self.site}.>", queue=f"ecmahost.{self.site}", cb=answer)
        await nc.flush()
        self.ready.set()
        while not self.done.is_set():
            await asyncio.sleep(0.1)
        await nc.close()


def test_an_agent_that_never_answers_is_504_after_the_budget(stack: RelayStack) -> None:
    rogue = RogueAgent(stack, "silent", "never")
    try:
        with stack.client("silent") as scim:
            body = assert_error(scim.get("/Users"), 504)
        assert "within 3 s" in body["detail"]
    finally:
        rogue.done.set()


@pytest.mark.parametrize(("site", "reply"), [("garbled", "garbage"), ("older", "envelope1")])
def test_a_malformed_reply_or_one_of_the_older_envelope_is_502(stack: RelayStack, site: str, reply: str) -> None:
    rogue = RogueAgent(stack, site, reply)
    try:
        with stack.client(site) as scim:
            assert_error(scim.get("/Users"), 502)
    finally:
        rogue.done.set()


def test_a_path_with_a_line_break_is_404_and_other_methods_keep_their_answers(stack: RelayStack) -> None:
    with stack.client("paris") as scim:
        assert scim.get("/Users/a%0Ab").status_code == 404  # matches no route: never a line of an envelope
        assert scim.head("/Users").status_code == scim.get("/Users").status_code == 200
        assert scim.options("/Users").status_code == 405


def test_metrics_count_requests_and_errors_per_site(stack: RelayStack) -> None:
    with stack.client("paris") as scim:
        scim.get("/Users", params={"count": 1})
        scim.post("/Groups", content=b"x" * (65 * 1024), headers={"content-type": "application/scim+json"})
    with stack.client("nowhere") as scim:
        scim.get("/Users")
    text_ = httpx.get(f"{stack.url}/metrics", verify=stack.tls()).text
    assert 'ecmahost_relay_requests_total{site="paris",status="200"}' in text_
    assert 'ecmahost_relay_errors_total{kind="too_large",site="paris"}' in text_
    assert 'ecmahost_relay_requests_total{site="-",status="404"}' in text_
    assert "nowhere" not in text_


def test_agents_list_shows_the_heartbeat(stack: RelayStack, tmp_path: Path) -> None:
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (stack.home / "agents-seen.json").exists():
        time.sleep(0.1)
    listing = ecmahost("relay", "agents", "--home", str(stack.home))
    assert listing.returncode == 0, listing.stderr
    line = next(row for row in listing.stdout.splitlines() if stack.agents[0].id[:12] in row)
    assert "paris" in line
    assert "never" not in line


def test_agent_test_passes_every_check_for_a_working_agent(stack: RelayStack) -> None:
    done = ecmahost("agent", "test", "--home", str(stack.agents[0].home))
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("settings", "DNS", "TCP", "TLS", "authentication", "permissions", "host", "round trip"):
        assert f"OK   {name}" in done.stdout, done.stdout


def test_agent_test_names_the_failing_step_and_its_fix(stack: RelayStack, tmp_path: Path) -> None:
    import json
    import shutil

    from ecmahost.relay.registry import new_seed

    unregistered = tmp_path / "unregistered"
    shutil.copytree(stack.agents[0].home, unregistered)
    (unregistered / "agent.nk").write_bytes(new_seed())
    done = ecmahost("agent", "test", "--home", str(unregistered))
    assert done.returncode == 1
    assert "FAIL authentication" in done.stdout
    assert "fix: this agent is not (or no longer) registered" in done.stdout

    wrong_ca = tmp_path / "wrong-ca"
    shutil.copytree(stack.agents[0].home, wrong_ca)
    settings = json.loads((wrong_ca / "agent.json").read_text())
    (wrong_ca / "agent.json").write_text(json.dumps({**settings, "nats_ca": str(stack.cert)}))
    done = ecmahost("agent", "test", "--home", str(wrong_ca))
    assert "FAIL TLS" in done.stdout
    assert "fix: set nats_ca" in done.stdout


def test_collect_logs_zips_verbose_logs_settings_versions_no_secrets(stack: RelayStack, tmp_path: Path) -> None:
    agent = stack.agents[0]
    out = tmp_path / "logs.zip"
    with stack.client("paris") as scim:
        collector = subprocess.Popen(
            [sys.executable, "-m", "ecmahost", "agent", "collect-logs", "--home", str(agent.home),
             "--minutes", "0.1", "--out", str(out)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log = agent.home / "logs" / "agent.log"
        deadline = time.monotonic() + 5  # the agent turns verbose at its next heartbeat (every 0.5 s here)
        while "GET /ecma2host_demo/scim/Users?filter=" not in log.read_text() and time.monotonic() < deadline:
            scim.get("/Users", params={"filter": 'userName eq "verbose-probe"'})
            time.sleep(0.2)
        output, _ = collector.communicate(timeout=60)
    assert collector.returncode == 0, output
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        assert {"logs/agent.log", "agent.json", "versions.txt", "agent-test.txt"} <= names
        log = archive.read("logs/agent.log").decode()
        everything = b"".join(archive.read(name) for name in names).decode(errors="replace")
    assert "GET /ecma2host_demo/scim/Users?filter=" in log  # a verbose line per request
    assert (agent.home / "agent.nk").read_text() not in everything
    assert TOKEN not in everything
    assert "OK   round trip" in everything
    skipped = ecmahost("agent", "collect-logs", "--home", str(agent.home), "--skip-verbose", "--out", str(out))
    assert skipped.returncode == 0, skipped.stderr


def test_slow_clients_at_the_relay_do_not_hold_up_the_others(stack: RelayStack) -> None:
    """Connections that send half a request and stall (slowloris) leave the relay answering everyone else."""
    stalled = []
    for _ in range(20):
        raw = socket.create_connection(("127.0.0.1", stack.port))
        tls = stack.tls().wrap_socket(raw, server_hostname="localhost")
        tls.sendall(b"POST /sites/paris/ecma2host_demo/scim/Users HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        stalled.append(tls)
    try:
        with stack.client("paris") as scim:
            for _ in range(5):
                assert scim.get("/Users", params={"count": 1}).status_code == 200
    finally:
        for connection in stalled:
            connection.close()
