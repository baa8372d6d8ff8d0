"""`ecmahost serve --agent DIR`: the host takes the relay's requests itself, handing them to its app in process
(relay -> private NATS over TLS -> the host's own agent -> its ASGI app, no second HTTP hop), on PostgreSQL; with
`--workers 2` each worker subscribes in the site's queue group, and SIGTERM drains the agents before the app stops.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_relay_e2e import rows
from test_relay_e2e import test_the_entra_sequence_through_the_relay_writes_the_database as entra_sequence

from e2e_host import RunningHost, start_demo_host, start_host
from entra_requests import entra_user
from support.databases import postgres_database
from support.relay import RelayStack, ecmahost, wait_for_line

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

TAKING = "taking requests for the host in this process"


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def home(database: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the demo connector on PostgreSQL, its token and certificate (made by `ecmahost demo`)."""
    root = tmp_path_factory.mktemp("inprocess") / "home"
    start_demo_host(root, database).stop()
    done = ecmahost("log-level", "information", "--source", "host", "--home", str(root))  # the agent's own lines
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayStack]:
    relay = RelayStack(tmp_path_factory.mktemp("inprocess-relay"), budget=10)
    yield relay
    relay.stop()


def serve_with_agent(home: Path, stack: RelayStack, site: str, workers: int = 1) -> RunningHost:
    """`ecmahost serve --agent` with an agent registered for `site` (its host_url is unused in process)."""
    agent = stack.register_agent(site, stack.add_site(site), "https://unused.invalid", home / "certs" / "host.crt")
    stack.agents.remove(agent)  # no `agent run` process: the host runs it
    arguments = ["serve", "--home", str(home), "--bind", "127.0.0.1", "--agent", str(agent.home)]
    host = start_host(home, [*arguments, "--workers", str(workers)])
    deadline = time.monotonic() + 30
    while host.log.read_text().count(TAKING) < workers and time.monotonic() < deadline:
        wait_for_line(host.log, TAKING, host.process)
        time.sleep(0.05)
    assert host.log.read_text().count(TAKING) == workers, host.log.read_text()[-3000:]
    return host


def test_the_entra_sequence_through_the_relay_to_serve_agent_writes_the_database(
    home: Path, stack: RelayStack, database: str
) -> None:
    host = serve_with_agent(home, stack, "paris")
    try:
        entra_sequence(stack, database)
        with stack.client("paris", token="not-the-token") as scim:
            assert scim.get("/Users").status_code == 401  # the host checks the token, as for direct traffic
        with stack.client("paris", token=None) as scim:
            assert scim.get("/Users").status_code == 401
    finally:
        host.stop()


def test_sigterm_drains_every_workers_agent_before_the_app_stops(home: Path, stack: RelayStack, database: str) -> None:
    host = serve_with_agent(home, stack, "lyon", workers=2)
    answers: list[tuple[str, int]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load(worker: int) -> None:
        with stack.client("lyon") as scim:
            number = 0
            while not stop.is_set():
                number += 1
                login = f"drain-{worker}-{number}"
                status = scim.post("/Users", json=entra_user(login)).status_code
                with lock:
                    answers.append((login, status))
                if status == 503:  # no agent left: the drain is over
                    return

    threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    try:
        for thread in threads:
            thread.start()
        while len(answers) < 40:
            threading.Event().wait(0.05)
        host.process.send_signal(signal.SIGTERM)
        assert host.process.wait(timeout=60) == 0
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        host.stop()
    log = host.log.read_text()
    assert log.count("draining: no new requests") == 2
    assert log.count("agent stopped") == 2
    statuses = {status for _, status in answers}
    assert statuses <= {201, 503}, answers  # every request taken was answered: no 504, no 500
    created = {login for login, status in answers if status == 201}
    landed = {
        login
        for (login,) in rows(database, 'SELECT "ContosoLogin" FROM "Employees" WHERE "ContosoLogin" LIKE \'drain-%\'')
    }
    assert created == landed  # every acknowledged write is in the database, and nothing unacknowledged
