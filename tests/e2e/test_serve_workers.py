"""`ecmahost serve --workers 2`: one port served by two worker processes forked by the host's supervisor, the run
files naming the supervisor, `/metrics` counting the requests of both workers, each log line written once, a
killed worker replaced, and a SIGTERM that stops everything and cleans up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ecmahost.home import Home
from ecmahost.observability.log_setup import LOG_FILE_NAME
from ecmahost.observability.run_files import metrics_dir, pid_path, state_path
from ecmahost.settings import HostSettings, LogLevel, LogLevels, save_settings

from e2e_host import RunningHost, start_host
from e2e_serve import prepare_home

USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "workers@contoso.com",
    "name": {"givenName": "Wo", "familyName": "Rkers"},
}


def _workers(pid: int) -> list[int]:
    """The worker processes of the supervisor `pid`: its children (forked: their command line is the
    supervisor's), not multiprocessing's resource tracker should one run."""
    found: list[int] = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            command = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if f"\nPPid:\t{pid}\n" in text and b"resource_tracker" not in command:
            found.append(int(status.parent.name))
    return found


def _wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def host(tmp_path: Path) -> Iterator[RunningHost]:
    home = tmp_path / "home"
    where = prepare_home(home, {"demo": "sqlite:///demo.db"})
    save_settings(where, HostSettings(log_levels=LogLevels(host=LogLevel.INFORMATION)))  # the lines counted below
    running = start_host(home, ["serve", "--home", str(home), "--bind", "127.0.0.1", "--workers", "2"])
    yield running
    running.stop()


def test_two_workers_serve_one_port_and_the_run_files_name_the_supervisor(host: RunningHost) -> None:
    supervisor = host.process.pid
    _wait_for(lambda: len(_workers(supervisor)) >= 2 and pid_path(Home(host.home)).exists())
    with host.client() as scim:
        created = scim.post("/Users", json=USER)
        assert created.status_code == 201, created.text
        user_id = created.json()["id"]
        for _ in range(20):  # new connections, spread over both workers by the kernel
            with host.client() as fresh:
                assert fresh.get(f"/Users/{user_id}").json()["userName"] == USER["userName"]
    assert pid_path(Home(host.home)).read_text().strip() == str(supervisor)
    _wait_for(lambda: state_path(Home(host.home)).exists())
    assert json.loads(state_path(Home(host.home)).read_text())["pid"] == supervisor


def _total(text: str, name: str) -> float:
    """The sum of a metric's samples over all its label sets."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + "{"))


def test_metrics_count_the_requests_of_every_worker_whichever_answers(host: RunningHost) -> None:
    supervisor = host.process.pid
    _wait_for(lambda: len(_workers(supervisor)) >= 2)
    workers = _workers(supervisor)
    shared = metrics_dir(Home(host.home))

    def both_answered() -> bool:  # each worker keeps its counts in its own file
        return all((shared / f"counter_{pid}.db").exists() for pid in workers)

    sent = 0
    while sent < 10 or (not both_answered() and sent < 200):
        with host.client() as fresh:  # a new connection each time: the kernel spreads them over the workers
            assert fresh.get("/Users", params={"count": 1}).status_code == 200
        sent += 1
    assert both_answered(), "one worker answered no request: the test would prove nothing"
    for _ in range(12):
        with httpx.Client(base_url=host.root, verify=host.tls(), timeout=30) as scraper:
            text = scraper.get("/metrics").text
        assert _total(text, "ecmahost_requests_total") == sent
        assert _total(text, "ecmahost_request_duration_seconds_count") == sent


def _ready_lines(host: RunningHost) -> list[str]:
    """The log lines in which a worker's runtime reports the connector ready (one per worker start)."""
    text = (Home(host.home).logs_dir / LOG_FILE_NAME).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if "connector demo (sql) ready" in line]


def test_each_worker_writes_its_log_lines_once(host: RunningHost) -> None:
    """A forked worker drops the supervisor's log handlers before it attaches its own: a record written twice
    would mean it kept them."""
    _wait_for(lambda: len(_ready_lines(host)) >= 2)
    time.sleep(1)  # a duplicate would follow its line at once
    assert len(_ready_lines(host)) == 2


def test_a_killed_worker_is_replaced_by_a_new_fork_that_serves(host: RunningHost) -> None:
    supervisor = host.process.pid
    _wait_for(lambda: len(_workers(supervisor)) >= 2)
    killed = _workers(supervisor)[0]
    os.kill(killed, signal.SIGKILL)
    _wait_for(lambda: killed not in _workers(supervisor) and len(_workers(supervisor)) == 2)
    _wait_for(lambda: len(_ready_lines(host)) >= 3)  # the replacement built its runtime
    for _ in range(20):  # new connections, spread over the old and the new worker by the kernel
        with host.client() as fresh:
            assert fresh.get("/Users", params={"count": 1}).status_code == 200


def test_sigterm_to_the_supervisor_stops_every_worker_and_removes_the_run_files(host: RunningHost) -> None:
    supervisor = host.process.pid
    _wait_for(lambda: len(_workers(supervisor)) >= 2 and pid_path(Home(host.home)).exists())
    workers = _workers(supervisor)
    host.process.send_signal(signal.SIGTERM)
    try:
        host.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("the supervisor did not stop within 30 s of SIGTERM")
    assert len(workers) == 2
    assert all(not Path(f"/proc/{pid}").exists() for pid in workers)
    assert not pid_path(Home(host.home)).exists()
