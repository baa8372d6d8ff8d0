"""The lame-duck drain (`shutdown_drain_seconds`) of the real `ecmahost serve`, one process and `--workers 2`: after
SIGTERM the host serves on, `/health` answers 503 and a SCIM request on a kept-alive connection is answered 200 with
`Connection: close`; then it stops cleanly. A second SIGTERM during a long drain stops it well before the drain's
end. Without the setting, `/health` never says draining (the stop is at once)."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ecmahost.drain import REPEAT_SECONDS
from ecmahost.settings import HostSettings, LogLevel, LogLevels, save_settings

from e2e_host import RunningHost, start_host
from e2e_serve import prepare_home

WORKERS = {"one process": [], "two workers": ["--workers", "2"]}


def _serve(tmp_path: Path, drain: float, extra: list[str]) -> RunningHost:
    home = tmp_path / "home"
    where = prepare_home(home, {"demo": "sqlite:///demo.db"})
    levels = LogLevels(host=LogLevel.INFORMATION)  # the drain's log lines asserted below
    save_settings(where, HostSettings(shutdown_drain_seconds=drain, log_levels=levels))
    return start_host(home, ["serve", "--home", str(home), "--bind", "127.0.0.1", *extra])


def _health(host: RunningHost) -> httpx.Response:
    return httpx.get(f"{host.root}/health", verify=host.tls(), timeout=10)


def _wait_for_draining(host: RunningHost) -> httpx.Response:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        response = _health(host)  # a new connection each time: the listening socket is still open
        if response.status_code == 503:
            return response
        time.sleep(0.05)
    raise AssertionError(f"/health did not answer 503 after SIGTERM; log:\n{host.log.read_text()[-3000:]}")


def _exit_code(host: RunningHost, seconds: float) -> int:
    try:
        return host.process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the host did not stop within {seconds:g} s; log:\n{host.log.read_text()[-3000:]}")


@pytest.fixture(params=list(WORKERS), ids=list(WORKERS))
def extra(request: pytest.FixtureRequest) -> list[str]:
    return WORKERS[request.param]


@pytest.fixture
def stopped_later() -> Iterator[list[RunningHost]]:
    hosts: list[RunningHost] = []
    yield hosts
    for host in hosts:
        host.stop()


def test_after_sigterm_health_says_draining_while_scim_is_answered_with_connection_close(
    tmp_path: Path, extra: list[str], stopped_later: list[RunningHost]
) -> None:
    host = _serve(tmp_path, 2, extra)
    stopped_later.append(host)
    with host.client() as scim:
        before = scim.get("/Users", params={"count": 1})  # opens the connection the client keeps alive
        assert before.status_code == 200
        assert before.headers.get("connection") != "close"
        host.process.send_signal(signal.SIGTERM)
        health = _wait_for_draining(host)
        assert health.json() == {"status": "draining"}
        during = scim.get("/Users", params={"count": 1})
    assert during.status_code == 200, during.text
    assert during.headers["connection"] == "close"
    # one process re-raises SIGTERM once stopped, as uvicorn does (systemd: a clean stop); the supervisor exits 0
    assert _exit_code(host, 30) in ((0, -signal.SIGTERM) if not extra else (0,))
    assert "draining for 2 s" in host.log.read_text()


def test_a_second_sigterm_ends_the_drain_early(
    tmp_path: Path, extra: list[str], stopped_later: list[RunningHost]
) -> None:
    host = _serve(tmp_path, 60, extra)
    stopped_later.append(host)
    host.process.send_signal(signal.SIGTERM)
    _wait_for_draining(host)
    time.sleep(REPEAT_SECONDS + 0.2)  # a signal sooner is taken as the first one delivered twice
    host.process.send_signal(signal.SIGTERM)
    assert _exit_code(host, 20) in ((0, -signal.SIGTERM) if not extra else (0,))  # the drain had 57 s to go
    assert "the drain ends after" in host.log.read_text()


def test_without_a_drain_health_never_says_draining(tmp_path: Path, stopped_later: list[RunningHost]) -> None:
    host = _serve(tmp_path, 0, [])
    stopped_later.append(host)
    host.process.send_signal(signal.SIGTERM)
    seen = []
    while host.process.poll() is None:
        try:
            seen.append(_health(host).status_code)
        except httpx.HTTPError:
            break  # stopped accepting
    assert 503 not in seen
    assert _exit_code(host, 30) in (0, -signal.SIGTERM)
