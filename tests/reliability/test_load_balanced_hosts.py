"""Scale-out without the relay: two `ecmahost serve` hosts, each with its own home but the same connector file and
token, on ONE PostgreSQL database, behind a private haproxy that checks `GET /health` (tests/support/haproxy.py:
TLS ends at haproxy and is opened again to each host, as docs/operations.md recommends).

Under load from several clients (POST /Users, and a PATCH of every second user created): host `a` is SIGKILLed and
started again once haproxy holds it DOWN; host `b` gets a bare SIGTERM (no word to haproxy: its lame-duck drain,
`shutdown_drain_seconds`, takes it out of rotation) and is started again; then `a` is restarted the planned way
(haproxy `maint`, SIGTERM, start, `ready`). One host always serves. Each client retries a request that got no
answer or a 5xx, as Entra does, with the same body.

Checked: every user acknowledged with 201 is in the database exactly once under its id; a retried POST whose first
try did commit gets 409 `uniqueness` (never a duplicate) and is there once; every acknowledged PATCH is stored; no
answer but 2xx, 5xx, none, or a 409 on a retry; failures only at the kill (none at the drained bare SIGTERM nor at
the planned restart); and while haproxy holds a host DOWN every request goes to the other one and succeeds. No
timing is asserted; the figures go to test-artifacts/reliability/load-balanced-hosts.json.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fault_host import fault_connector, kill_host
from scim_workload import replace_title, run_workers, save_figures, stop_workers, user_body
from target_state import read_target

from ecmahost.connectors.sql.demo_schema import create_demo_tables
from ecmahost.home import Home
from ecmahost.settings import HostSettings, save_settings
from ecmahost.tls import generate_certificate

from e2e_host import TOKEN, RunningHost, prepare_home, start_serve_host
from support.haproxy import BACKEND, SERVED_BY, PrivateHaproxy
from support.private_servers import PrivateServer, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

WORKERS = 6
PHASE_SECONDS = 1.5
ATTEMPTS = 100
"""Tries of one request before a client gives up on it (one host always serves, so none should need this many)."""
RETRY_PAUSE = 0.1
DRAIN_SECONDS = 2.0
"""Each host's `shutdown_drain_seconds`: above haproxy's fall x inter (2 x 300 ms), so a SIGTERMed host is DOWN at
haproxy before it stops accepting, and has closed every connection it answered meanwhile."""
CLIENT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Attempt:
    """One try of one request, as the client saw it."""

    action: str
    login: str
    number: int
    status: int | None
    """None: no HTTP answer (connection refused or cut)."""
    served_by: str | None
    started: float
    body: dict[str, Any] | None
    error: str | None = None
    """The client's exception when there was no answer."""

    @property
    def failed(self) -> bool:
        """An answer the client retries: none at all, or a 5xx."""
        return self.status is None or self.status >= 500

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Clients:
    """The load: `WORKERS` threads, each creating users through haproxy and retrying a failed try."""

    def __init__(self, base_url: str, trust: ssl.SSLContext) -> None:
        self.base_url, self.trust = base_url, trust
        self.attempts: list[Attempt] = []
        self._lock = threading.Lock()

    def send(
        self, http: httpx.Client, action: str, login: str, method: str, path: str, body: dict[str, Any]
    ) -> Attempt:
        """The request until it gets an answer other than a 5xx (or ATTEMPTS tries); returns the last try."""
        for number in range(1, ATTEMPTS + 1):
            started = time.monotonic()
            try:
                response = http.request(method, path, json=body)
            except httpx.TransportError as exc:
                attempt = Attempt(action, login, number, None, None, started, None, f"{type(exc).__name__}: {exc}")
            else:
                payload = response.json() if response.content else None
                served_by = response.headers.get(SERVED_BY)
                body_seen = payload if isinstance(payload, dict) else None
                attempt = Attempt(action, login, number, response.status_code, served_by, started, body_seen)
            with self._lock:
                self.attempts.append(attempt)
            if not attempt.failed:
                return attempt
            time.sleep(RETRY_PAUSE)
        return attempt

    def worker(self) -> Callable[[int, threading.Event], None]:
        def work(index: int, stop: threading.Event) -> None:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            with httpx.Client(
                base_url=self.base_url, headers=headers, verify=self.trust, timeout=CLIENT_TIMEOUT
            ) as http:
                number = 0
                while not stop.is_set():
                    login = f"lb-{index}-{number}"
                    number += 1
                    created = self.send(http, "create", login, "POST", "/Users", user_body(login))
                    if created.status == 201 and created.body is not None and number % 2 == 0:
                        path = f"/Users/{created.body['id']}"
                        self.send(http, "patch", login, "PATCH", path, replace_title(f"patched {login}"))

        return work

    def snapshot(self) -> list[Attempt]:
        with self._lock:
            return list(self.attempts)


def front_certificate(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """haproxy's certificate and key in one PEM (what `bind ... ssl crt` reads), and a client context trusting it."""
    cert, key = folder / "front.crt", folder / "front.key"
    generate_certificate((cert, key), hostnames=["localhost"])
    pem = folder / "front.pem"
    pem.write_bytes(cert.read_bytes() + key.read_bytes())
    pem.chmod(0o600)
    return pem, ssl.create_default_context(cafile=str(cert))


class Cluster:
    """Two hosts (`a`, `b`) on one database behind haproxy, and what the test does to them, each step's time kept in
    `marks` (monotonic seconds)."""

    def __init__(self, folder: Path, url: str) -> None:
        self.homes = {"a": folder / "home-a", "b": folder / "home-b"}
        asyncio.run(create_demo_tables(url, self.homes["a"]))
        for home in self.homes.values():
            prepare_home(home, fault_connector(url))  # the same connector file and token; each its own certificate
            save_settings(Home(home), HostSettings(shutdown_drain_seconds=DRAIN_SECONDS))
        hosts_ca = folder / "hosts-ca.pem"
        hosts_ca.write_bytes(b"".join((home / "certs" / "host.crt").read_bytes() for home in self.homes.values()))
        self.ports = {name: free_port() for name in self.homes}
        self.hosts: dict[str, RunningHost] = {}
        self.marks: dict[str, float] = {}
        front_pem, self.trust = front_certificate(folder / "front")
        try:
            for name, home in self.homes.items():
                self.hosts[name] = start_serve_host(home, self.ports[name])
            self.haproxy = PrivateHaproxy(folder / "haproxy", front_pem, hosts_ca, self.ports)
            for name in self.hosts:
                self.haproxy.wait_state(name, "UP")
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"https://localhost:{self.haproxy.port}/ecma2host_demo/scim"

    def mark(self, what: str) -> None:
        self.marks[what] = time.monotonic()

    def kill(self, name: str) -> None:
        """SIGKILL: the requests in flight on it are cut; haproxy's checks find it DOWN."""
        self.mark(f"{name} killed")
        kill_host(self.hosts[name])
        self.haproxy.wait_state(name, "DOWN")
        self.mark(f"{name} down")

    def terminate(self, name: str) -> None:
        """SIGTERM with no word to haproxy (a bare `systemctl stop`): the host drains (`/health` 503, `Connection:
        close`), then finishes what it has in flight."""
        self.mark(f"{name} terminated")
        self.hosts[name].stop()
        self.haproxy.wait_state(name, "DOWN")
        self.mark(f"{name} down")

    def start(self, name: str) -> None:
        self.mark(f"{name} starting")
        self.hosts[name] = start_serve_host(self.homes[name], self.ports[name])
        self.haproxy.wait_state(name, "UP")
        self.mark(f"{name} up")

    def planned_restart(self, name: str) -> None:
        """The procedure of docs/operations.md: take the host out of haproxy, SIGTERM, start, put it back."""
        self.mark(f"{name} to maintenance")
        self.haproxy.command(f"set server {BACKEND}/{name} state maint")
        self.hosts[name].stop()
        self.hosts[name] = start_serve_host(self.homes[name], self.ports[name])
        self.haproxy.command(f"set server {BACKEND}/{name} state ready")
        self.haproxy.wait_state(name, "UP")
        self.mark(f"{name} back")

    def phase(self, attempt: Attempt) -> str:
        """The last step marked before the try started (for a failure's message)."""
        return max(((t, what) for what, t in self.marks.items() if t <= attempt.started), default=(0.0, "start"))[1]

    def between(self, attempts: list[Attempt], first: str, last: str) -> list[Attempt]:
        return [a for a in attempts if self.marks[first] <= a.started < self.marks[last]]

    def stop(self) -> None:
        haproxy = getattr(self, "haproxy", None)
        if haproxy is not None:
            haproxy.stop()
        for host in self.hosts.values():
            host.stop()


def test_two_hosts_behind_haproxy_lose_no_acknowledged_write_when_one_is_killed_and_one_restarted(
    private_postgres: PrivateServer, tmp_path: Path
) -> None:
    url = private_postgres.create_database()
    cluster = Cluster(tmp_path, url)
    try:
        clients = Clients(cluster.url, cluster.trust)
        stop, threads = run_workers(clients.worker(), WORKERS)
        try:
            for step in (
                lambda: cluster.kill("a"),
                lambda: cluster.start("a"),
                lambda: cluster.terminate("b"),
                lambda: cluster.start("b"),
                lambda: cluster.planned_restart("a"),
            ):
                time.sleep(PHASE_SECONDS)
                step()
            time.sleep(PHASE_SECONDS)
        finally:
            stop_workers(stop, threads)
    finally:
        cluster.stop()
    attempts = clients.snapshot()
    figures = check_answers(attempts, cluster)
    figures.update(check_database(attempts, url))
    save_figures("load-balanced-hosts", figures)


def check_answers(attempts: list[Attempt], cluster: Cluster) -> dict[str, Any]:
    """Only retryable failures, 2xx, and 409 on a retry; each request answered in the end; failures only where a
    host was killed (none at the drained SIGTERM); while haproxy held a host DOWN every try went to the other one."""
    unexpected = [(a.action, a.login, a.number, a.status) for a in attempts if not (a.failed or a.acknowledged)]
    unexpected = [u for u in unexpected if not (u[0] == "create" and u[2] > 1 and u[3] == 409)]
    assert not unexpected, f"answers other than 2xx, 5xx or a retry's 409: {unexpected[:10]}"
    last = {(a.action, a.login): a for a in attempts}
    unanswered = [key for key, attempt in last.items() if attempt.failed]
    assert not unanswered, f"requests still failing after {ATTEMPTS} tries: {unanswered[:10]}"
    served = {name: sum(1 for a in attempts if a.served_by == name) for name in ("a", "b")}
    assert all(served.values()), f"haproxy did not spread the load over both hosts: {served}"
    figures: dict[str, Any] = {"tries": len(attempts), "requests": len(last), "served": served}
    for down, other in (("a", "b"), ("b", "a")):
        inside = cluster.between(attempts, f"{down} down", f"{down} starting")
        assert inside, f"no request while {down} was down: the clients stalled"
        astray = [(a.status, a.served_by) for a in inside if a.failed or a.served_by != other]
        assert not astray, f"while haproxy held {down} DOWN, tries failed or went astray: {astray[:10]}"
        figures[f"requests_while_{down}_down"] = len(inside)
    failed = [a for a in attempts if a.failed]
    at_kill = [a for a in failed if a.started < cluster.marks["a down"]]
    at_sigterm = cluster.between(failed, "b terminated", "b up")
    assert at_kill, "the kill cut no request: it did not happen under load"
    elsewhere = [(cluster.phase(a), a.action, a.status, a.error) for a in failed if a not in at_kill + at_sigterm]
    assert not elsewhere, f"failures outside the kill and the bare SIGTERM: {elsewhere[:10]}"
    cut = [(a.action, a.status, a.error) for a in at_sigterm]
    assert not cut, f"the bare SIGTERM cut requests despite the {DRAIN_SECONDS:g} s drain: {cut}"
    draining = [a for a in cluster.between(attempts, "b terminated", "b down") if a.served_by == "b"]
    assert draining, "b answered nothing after its SIGTERM: the drain was not under load"
    figures["answered_by_b_after_its_sigterm"] = len(draining)
    planned = cluster.between(attempts, "a to maintenance", "a back")
    assert planned, "no request during the planned restart"
    figures["requests_during_planned_restart"] = len(planned)
    figures["failed_tries"] = {"at_kill": len(at_kill), "at_bare_sigterm": len(at_sigterm), "elsewhere": 0}
    figures["failure_kinds"] = dict(Counter(a.error or str(a.status) for a in failed))
    return figures


def check_database(attempts: list[Attempt], url: str) -> dict[str, Any]:
    """Every acknowledged create and PATCH is in the database exactly once; a 409 on a retry found the user its cut
    first try committed; no row that no client sent."""
    state = read_target(url)
    created = {a.login: a.body["id"] for a in attempts if a.action == "create" and a.status == 201 and a.body}
    committed_before = {a.login for a in attempts if a.action == "create" and a.status == 409}
    lost = [login for login, user_id in created.items() if state.user_ids.get(login) != [user_id]]
    assert not lost, f"users acknowledged with 201 but missing, duplicated or under another id: {lost[:10]}"
    not_there = [login for login in committed_before if len(state.user_ids.get(login, [])) != 1]
    assert not not_there, f"POSTs retried into 409 whose user is not there exactly once: {not_there[:10]}"
    assert not state.duplicated_logins(), f"duplicate rows: {state.duplicated_logins()[:10]}"
    sent = {a.login for a in attempts if a.action == "create"}
    strangers = set(state.user_ids) - sent
    assert not strangers, f"rows for logins no client sent: {sorted(strangers)[:10]}"
    patched = {a.login for a in attempts if a.action == "patch" and a.acknowledged}
    stale = [login for login in patched if state.titles.get(created[login]) != f"patched {login}"]
    assert not stale, f"PATCHes acknowledged but not stored: {stale[:10]}"
    return {
        "acknowledged_creates": len(created),
        "creates_retried_into_409": len(committed_before),
        "acknowledged_patches": len(patched),
        "users_in_database": len(state.user_ids),
    }
