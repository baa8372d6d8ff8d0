"""Several agents per site, active together: under load, one agent SIGKILLed, one drained with SIGTERM, and the NATS
server restarted; requests keep being answered, no acknowledged write is lost, none is written twice."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import create_engine, text

from ecmahost.relay.registry import RelayHome

from e2e_host import RunningHost, start_demo_host
from entra_requests import entra_user
from support.databases import postgres_database
from support.relay import RelayStack

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

RETRYABLE = {502, 503, 504}


@dataclass
class Load:
    """Client threads creating users through the relay, retrying 502/503/504 as Entra does."""

    stack: RelayStack
    stop: threading.Event = field(default_factory=threading.Event)
    created: list[str] = field(default_factory=list)  # answered 201
    landed_earlier: list[str] = field(default_factory=list)  # a retry answered 409: an earlier attempt had landed
    failed: list[tuple[str, int]] = field(default_factory=list)
    successes: int = 0
    timeouts: int = 0  # 504 answers (a request lost in flight: the client retried it)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, worker: int) -> None:
        with self.stack.client("site1") as scim:
            number = 0
            while not self.stop.is_set():
                number += 1
                self._create(scim, f"load-{worker}-{number}")
                if scim.get("/Users", params={"filter": f'userName eq "load-{worker}-{number}"'}).status_code == 200:
                    with self.lock:
                        self.successes += 1

    def _create(self, scim: httpx.Client, login: str) -> None:
        body = entra_user(login)
        for attempt in range(60):
            try:
                status = scim.post("/Users", json=body).status_code
            except httpx.TransportError:
                status = 599
            if status == 201:
                with self.lock:
                    self.created.append(login)
                    self.successes += 1
                return
            if status == 409 and attempt > 0:
                with self.lock:
                    self.landed_earlier.append(login)
                return
            if status == 504:
                with self.lock:
                    self.timeouts += 1
            if status not in RETRYABLE and status != 599:
                with self.lock:
                    self.failed.append((login, status))
                return
            time.sleep(0.2)
        with self.lock:
            self.failed.append((login, -1))

    def wait_for(self, more: int, seconds: float = 60) -> None:
        target = self.successes + more
        deadline = time.monotonic() + seconds
        while self.successes < target:
            assert time.monotonic() < deadline, f"only {self.successes} answers, wanted {target}; failed {self.failed}"
            time.sleep(0.05)


def assert_both_served(stack: RelayStack, *agents: str) -> None:
    """Every agent's heartbeat (as the relay recorded it) counts requests it served."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        seen = RelayHome(stack.home).seen()
        if all(seen.get(agent, {}).get("served", 0) > 0 for agent in agents):
            return
        time.sleep(0.1)
    raise AssertionError(f"not every agent served requests: {RelayHome(stack.home).seen()}")


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def host(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    running = start_demo_host(tmp_path_factory.mktemp("failover-host") / "home", database)
    yield running
    running.stop()


def test_agents_share_the_load_and_survive_kill_drain_and_a_nats_restart(
    host: RunningHost, database: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    stack = RelayStack(tmp_path_factory.mktemp("failover"), budget=3)
    try:
        code = stack.add_site("site1")
        first = stack.register_agent("a", code, host.root, host.cert)
        second = stack.register_agent("b", stack.add_site("site1"), host.root, host.cert)
        third = stack.register_agent("c", stack.add_site("site1"), host.root, host.cert)
        first.start()
        second.start()
        load = Load(stack)
        workers = [threading.Thread(target=load.run, args=(n,), daemon=True) for n in range(6)]
        for worker in workers:
            worker.start()
        load.wait_for(30)
        assert_both_served(stack, first.id, second.id)

        first.signal(signal.SIGKILL)  # dies with requests in flight: the relay answers 504, the client retries
        first.wait()
        load.wait_for(30)

        third.start()
        time.sleep(stack.budget + 1)  # every request lost with the killed agent has had its 504 by now
        timeouts = load.timeouts
        second.signal(signal.SIGTERM)  # drains: takes nothing new, finishes what it has, leaves cleanly
        assert second.wait() == 0
        assert "agent stopped" in second.log.read_text()
        load.wait_for(30)
        time.sleep(stack.budget + 1)
        assert load.timeouts == timeouts  # nothing the draining agent had taken was left unanswered

        stack.nats.restart()  # the agents and the relay reconnect by themselves
        load.wait_for(30)

        load.stop.set()
        for worker in workers:
            worker.join(timeout=120)
    finally:
        stack.stop()

    assert load.failed == []
    engine = create_engine(database.replace("postgres://", "postgresql+psycopg://", 1).replace(
        "postgresql://", "postgresql+psycopg://", 1))  # fmt: skip
    with engine.connect() as conn:
        logins = [row[0] for row in conn.execute(text('SELECT "ContosoLogin" FROM "Employees"'))]
    engine.dispose()
    # No acknowledged write lost, none written twice, nothing written that no client asked for.
    assert sorted(logins) == sorted(load.created + load.landed_earlier)
    assert len(set(load.created)) == len(load.created)
    # Both remaining agents took part (the queue group spread the load).
    assert "taking requests" in third.log.read_text()
