"""End to end: `ecmahost serve` as a subprocess over HTTPS, and the troubleshooting commands run as an admin would
run them (separate processes): test-connection (each check failing for its own reason), status, live log-level
change, metrics, the troubleshooting zip, and a graceful stop on SIGTERM."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ecmahost.settings import HostSettings, TlsSettings, save_settings

from e2e_host import TOKEN, RunningHost, free_port
from e2e_serve import DOWN_TARGET, ecmahost, prepare_home, start_serve, write_expired_certificate

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    home = tmp_path_factory.mktemp("troubleshoot") / "home"
    prepare_home(home, {"demo": "sqlite:///demo.db", "down": DOWN_TARGET})
    running = start_serve(home)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def token_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("token") / "token"
    path.write_text(TOKEN + "\n")
    return path


def _test_connection(host: RunningHost, token_file: Path, name: str, *extra: str) -> tuple[int, dict]:
    url = f"{host.root}/ecma2host_{name}/scim"
    args = ["test-connection", name, "--url", url, "--token-file", str(token_file), "--home", str(host.home)]
    result = ecmahost(*args, "--json", *extra)
    return result.returncode, json.loads(result.stdout)


def _step(report: dict, name: str) -> dict:
    return next(step for step in report["steps"] if step["name"] == name)


def _failures(report: dict) -> list[str]:
    return [step["name"] for step in report["steps"] if step["status"] == "fail"]


def test_every_step_passes_on_a_healthy_connector_including_the_write_round_trip(host, token_file) -> None:
    code, report = _test_connection(host, token_file, "demo", "--write")
    assert code == 0, report
    assert report["ok"] is True
    statuses = {step["name"]: step["status"] for step in report["steps"]}
    assert statuses.pop("recent requests") in ("pass", "warn"), "read from the activity journal before the test"
    assert set(statuses.values()) == {"pass"}, report


def test_wrong_port_fails_at_the_port_step(host, token_file) -> None:
    url = f"https://localhost:{free_port()}/ecma2host_demo/scim"
    result = ecmahost("test-connection", "demo", "--url", url, "--token-file", str(token_file), "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert _failures(report) == ["Port answers"]
    assert "nothing listens" in _step(report, "Port answers")["detail"]
    assert _step(report, "TLS handshake")["status"] == "skip"


def test_wrong_token_fails_at_the_token_step(host, tmp_path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-token-of-demo-123")
    code, report = _test_connection(host, wrong, "demo")
    assert code == 1
    assert _failures(report) == ["Token accepted"]
    assert "set-token demo" in _step(report, "Token accepted")["fix"]
    assert TOKEN not in json.dumps(report)


def test_unknown_connector_fails_at_the_connector_step(host, token_file) -> None:
    code, report = _test_connection(host, token_file, "nosuch")
    assert code == 1
    assert _failures(report) == ["Connector exists"]
    assert "no connector named 'nosuch'" in _step(report, "Connector exists")["detail"]


def test_target_down_fails_at_the_target_step_with_the_fix(host, token_file) -> None:
    code, report = _test_connection(host, token_file, "down")
    assert code == 1
    assert "Target answers" in _failures(report)
    target = _step(report, "Target answers")
    assert target["detail"].startswith("the target is not available")
    assert "database or directory runs" in target["fix"]
    assert _step(report, "Token accepted")["status"] == "pass"


def test_text_output_shows_a_mark_and_a_fix_per_step(host, token_file) -> None:
    url = f"{host.root}/ecma2host_nosuch/scim"
    result = ecmahost("test-connection", "nosuch", "--url", url, "--token-file", str(token_file), "--insecure")
    assert result.returncode == 1
    assert "✓ Port answers" in result.stdout
    assert "✗ Connector exists" in result.stdout
    assert "    fix: `ecmahost connector list`" in result.stdout
    assert "--insecure" in result.stderr


def test_status_lists_connectors_and_the_last_target_error(host) -> None:
    with httpx.Client(verify=host.tls(), headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        assert client.get(f"{host.root}/ecma2host_down/scim/Users").status_code == 503
    deadline = time.monotonic() + 10
    while True:
        result = ecmahost("status", "--json", "--home", str(host.home))
        status = json.loads(result.stdout)
        down = next(item for item in status["connectors"] if item["name"] == "down")
        if down["recent_errors"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert result.returncode == 0
    assert status["running"] is True
    assert {item["name"]: item["served"] for item in status["connectors"]} == {"demo": True, "down": True}
    assert down["tenant_url"] == f"https://127.0.0.1:{host.port}/ecma2host_down/scim"
    assert down["recent_errors"][-1]["status"] == 503
    assert status["certificate"]["days_left"] > 700


def test_log_level_changes_a_running_host_without_restart(host) -> None:
    log = host.home / "logs" / "ecmahost.log"
    result = ecmahost("log-level", "information", "--source", "host", "--home", str(host.home))
    assert "Applied to the running host" in result.stdout, result.stdout + result.stderr
    with host.client() as client:
        response = client.get("/Users", params={"filter": 'userName eq "nobody"'})
    request_id = response.headers["X-Request-Id"]
    deadline = time.monotonic() + 5
    while request_id not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    line = next(line for line in log.read_text().splitlines() if request_id in line)
    assert " Information demo ecmahost.http.requests: GET /ecma2host_demo/scim/Users?filter=" in line
    assert "-> 200 in" in line
    assert TOKEN not in log.read_text()
    assert "host: Information" in ecmahost("log-level", "--home", str(host.home)).stdout
    shown = ecmahost("logs", "--connector", "demo", "--level", "information", "--home", str(host.home)).stdout
    assert request_id in shown


def test_metrics_count_requests_by_connector_operation_and_status_and_target_errors(host) -> None:
    with host.client() as client:
        client.get("/Users", params={"count": "1"})
    with httpx.Client(verify=host.tls(), headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        client.get(f"{host.root}/ecma2host_down/scim/Users")
        text = client.get(f"{host.root}/metrics").text
    assert 'ecmahost_requests_total{connector="demo",operation="search",status="200"}' in text
    assert 'ecmahost_requests_total{connector="down",operation="search",status="503"}' in text
    assert 'ecmahost_target_errors_total{connector="down",kind="TargetUnavailable"}' in text
    assert 'ecmahost_request_duration_seconds_bucket{connector="demo",le="0.1",operation="search"}' in text


def test_health_answers_without_auth_or_details(host) -> None:
    response = httpx.get(f"{host.root}/health", verify=host.tls())
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_troubleshooting_zip_holds_the_connection_tests_and_no_token(host, tmp_path) -> None:
    out = tmp_path / "info.zip"
    result = ecmahost("collect-troubleshooting-info", "--out", str(out), "--home", str(host.home))
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        report = json.loads(archive.read("test-connection/demo.json"))
        everything = b"".join(archive.read(name) for name in names)
    assert {"connectors/demo.yaml", "connectors/down.yaml", "logs/ecmahost.log", "status.json"} <= names
    assert _step(report, "Connector exists")["status"] == "pass"
    assert _step(report, "Token accepted")["status"] == "skip"
    assert TOKEN.encode() not in everything
    assert b"scrypt$" not in everything.replace(b"scrypt$<redacted>", b"")


def test_expired_certificate_fails_at_the_certificate_step(tmp_path, token_file) -> None:
    home = prepare_home(tmp_path / "home", {"demo": "sqlite:///demo.db"})
    cert, key = home.root / "expired" / "host.crt", home.root / "expired" / "host.key"
    write_expired_certificate(cert, key)
    save_settings(home, HostSettings(tls=TlsSettings(certificate=cert, key=key)))
    running = start_serve(home.root)
    try:
        code, report = _test_connection(running, token_file, "demo")
    finally:
        running.stop()
    assert code == 1
    assert _failures(report) == ["Certificate dates"]
    dates = _step(report, "Certificate dates")
    assert "EXPIRED" in dates["detail"]
    assert "ecmahost cert generate --force" in dates["fix"]
    assert _step(report, "Connector exists")["status"] == "skip"


def test_sigterm_lets_an_in_flight_write_finish_then_exits_cleanly(tmp_path) -> None:
    home = prepare_home(tmp_path / "home", {"demo": "sqlite:///demo.db"})
    running = start_serve(home.root)
    database = sqlite3.connect(home.root / "demo.db", isolation_level=None)
    results: list[httpx.Response] = []
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "in-flight"}
    try:
        database.execute("BEGIN EXCLUSIVE")  # the host's write now waits for this lock

        def create() -> None:
            with running.client() as client:
                results.append(client.post("/Users", json=body))

        writer = threading.Thread(target=create)
        writer.start()
        time.sleep(0.7)
        running.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert running.process.poll() is None, "the host must wait for the in-flight request"
        database.execute("COMMIT")
        writer.join(timeout=20)
        # uvicorn re-raises the signal once its graceful shutdown is done; systemd counts that as a clean stop
        assert running.process.wait(timeout=20) in (0, -signal.SIGTERM)
    finally:
        database.close()
        running.stop()
    assert results[0].status_code == 201
    check = sqlite3.connect(home.root / "demo.db")
    try:
        rows = check.execute('SELECT COUNT(*) FROM "Employees" WHERE "ContosoLogin" = ?', ("in-flight",)).fetchone()
    finally:
        check.close()
    assert rows == (1,)
    assert not (home.root / "run" / "host.pid").exists(), "the app's shutdown (monitor, connectors) must have run"
