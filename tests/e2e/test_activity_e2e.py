"""The activity journal end to end over HTTPS, on SQLite and PostgreSQL: Entra's sequence (match, create, read,
PATCH, a retried create, a refused create carrying a password, a wrong token, delete, a read of the deleted user),
then a restart with a second connector whose target is down (503s). The journal holds exactly the operations sent,
with their outcomes, survives the restart, and holds no token, password or attribute value; `ecmahost activity`
filters it (through Typer's CliRunner)."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from ecmahost.cli.main import app
from ecmahost.config.store import ConnectorStore
from ecmahost.demo import demo_connector
from ecmahost.home import Home
from ecmahost.observability import activity_store
from ecmahost.observability.activity_store import journal_path
from ecmahost.settings import HostSettings, LogLevel, LogLevels, save_settings
from ecmahost.troubleshoot.collect_info import collect

from e2e_host import TOKEN, RunningHost, start_demo_host, start_host, start_serve_host
from entra_requests import CORE_USER, entra_user, patch

pytestmark = pytest.mark.e2e

PASSWORD = "Pa55-w0rd-never-journaled"
TITLE = "Title-never-journaled"
FAMILY = "Family-never-journaled"
DOWN = "down"
WAIT_SECONDS = 15
VERBOSE_CREATES = 24


@dataclass
class Run:
    home: Path
    login: str
    sent: list[tuple[str, str, str, int]] = field(default_factory=list)
    """(connector, verb, request id, status) of each request, in order"""
    patch_id: str = ""


def _send(run: Run, scim: httpx.Client, connector: str, verb: str, method: str, path: str, **kwargs: Any) -> Any:
    response = scim.request(method, path, **kwargs)
    run.sent.append((connector, verb, response.headers.get("x-request-id", ""), response.status_code))
    return response


def _client(host: RunningHost, connector: str, token: str = TOKEN) -> httpx.Client:
    url = f"{host.root}/ecma2host_{connector}/scim"
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, verify=host.tls(), timeout=30)


def _play_entra(run: Run, host: RunningHost) -> None:
    login = run.login
    with _client(host, "demo") as scim:
        _send(run, scim, "demo", "search", "GET", "/Users", params={"filter": f'userName eq "{login}"'})
        body = entra_user(login)
        body["title"] = TITLE
        body["name"]["familyName"] = FAMILY
        created = _send(run, scim, "demo", "create", "POST", "/Users", json=body).json()
        user = f"/Users/{created['id']}"
        _send(run, scim, "demo", "get", "GET", user)
        changes = patch(
            {"op": "Replace", "path": "title", "value": TITLE + "-2"},
            {"op": "Replace", "path": "active", "value": "False"},
        )
        run.patch_id = _send(run, scim, "demo", "patch", "PATCH", user, json=changes).headers["x-request-id"]
        _send(run, scim, "demo", "create", "POST", "/Users", json=entra_user(login))  # a retried create: 409
        refused = {"schemas": [CORE_USER], "password": PASSWORD, "title": TITLE}  # no userName: 400
        _send(run, scim, "demo", "create", "POST", "/Users", json=refused)
        _send(run, scim, "demo", "delete", "DELETE", user)
        _send(run, scim, "demo", "get", "GET", user)
    with _client(host, "demo", token="wrong-token-" + uuid.uuid4().hex) as intruder:
        _send(run, intruder, "demo", "search", "GET", "/Users")


def _hit_the_down_target(run: Run, host: RunningHost) -> None:
    with _client(host, DOWN) as scim:
        _send(run, scim, DOWN, "search", "GET", "/Users", params={"filter": 'userName eq "nobody"'})
        _send(run, scim, DOWN, "create", "POST", "/Users", json={"schemas": [CORE_USER], "userName": "nobody"})
    with _client(host, "demo") as scim:
        _send(run, scim, "demo", "discovery", "GET", "/Schemas")


def _rows(home: Path) -> list[dict[str, Any]]:
    connection = sqlite3.connect(journal_path(Home(home)))
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute("SELECT * FROM operations ORDER BY seq")]
    finally:
        connection.close()


def _wait_for(home: Path, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if journal_path(Home(home)).exists() and len(rows := _rows(home)) >= count:
            return rows
        time.sleep(0.2)
    return _rows(home) if journal_path(Home(home)).exists() else []


def _add_a_record_past_the_retention(home: Path) -> None:
    """A record 40 days old (the retention is 30): the restarted host deletes it."""
    connection = activity_store.connect(journal_path(Home(home)))
    values = {"at": time.time() - 40 * 86400, "connector": "demo", "verb": "get", "method": "GET", "outcome": "ok",
              "status": 200, "duration_ms": 1.0, "request_id": "ancient"}  # fmt: skip
    activity_store.insert(connection, [tuple(values.get(column) for column in activity_store.COLUMNS)])
    connection.close()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    target = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    home = tmp_path_factory.mktemp(f"activity-{request.param}")
    result = Run(home, f"alice-{uuid.uuid4().hex[:8]}")
    host = start_demo_host(home, target)
    try:
        _play_entra(result, host)
    finally:
        host.stop()
    _add_a_record_past_the_retention(home)
    down = demo_connector(DOWN, "postgresql://postgres@127.0.0.1:1/nowhere")
    down["connection"]["connect_timeout_seconds"] = 2
    store = ConnectorStore(Home(home))
    store.save(down)
    store.set_token(DOWN, TOKEN)
    host = start_serve_host(home)
    try:
        _hit_the_down_target(result, host)
        _wait_for(home, len(result.sent))
    finally:
        host.stop()
    return result


def test_the_journal_holds_exactly_the_operations_sent_with_their_outcomes(run: Run) -> None:
    """Across a restart, and without the record past the retention."""
    rows = _rows(run.home)
    assert [(r["connector"], r["verb"], r["request_id"], r["status"]) for r in rows] == run.sent
    for row in rows:
        assert row["outcome"] == ("failed" if row["status"] >= 400 else "ok")
    statuses = [status for *_, status in run.sent]
    assert statuses == [200, 201, 200, 200, 409, 400, 204, 404, 401, 503, 503, 200]


def test_each_record_names_the_user_as_the_client_knows_it(run: Run) -> None:
    rows = _rows(run.home)
    demo = [row for row in rows if row["connector"] == "demo" and row["verb"] != "discovery"]
    named = [row["user_name"] for row in demo]
    assert named[:5] == [run.login] * 5, "search, create, get, PATCH and the retried create name the user"
    assert named[6:8] == [run.login] * 2, "delete and the read after it name the user by its remembered id"
    created = demo[1]
    assert created["resource_id"]
    assert created["external_id"]
    assert demo[3]["resource_id"] == created["resource_id"]
    assert demo[3]["attributes"] == "title, active"
    assert "userName" in created["attributes"]
    assert "title" in created["attributes"]
    assert (demo[4]["scim_type"], demo[4]["object_type"]) == ("uniqueness", "User")
    assert demo[5]["detail"], "a refusal keeps the detail the client was told"
    down = [row for row in rows if row["connector"] == DOWN]
    assert [row["status"] for row in down] == [503, 503]


def test_no_token_password_or_attribute_value_is_journaled(run: Run) -> None:
    folder = journal_path(Home(run.home)).parent
    raw = b"".join(path.read_bytes() for path in folder.iterdir() if path.is_file())
    text = json.dumps(_rows(run.home))
    for secret in (TOKEN, PASSWORD, TITLE, FAMILY, f"{run.login}@testuser.com", "Bearer"):
        assert secret not in text
        assert secret.encode() not in raw
    assert all(row["request_body"] is None and row["response_body"] is None for row in _rows(run.home))


def _cli(run: Run, *arguments: str) -> Any:
    result = CliRunner().invoke(app, ["activity", *arguments, "--home", str(run.home)])
    assert result.exit_code == 0, result.output
    return result


def _ids(run: Run, *arguments: str) -> list[str]:
    return [row["request_id"] for row in json.loads(_cli(run, *arguments, "--json").stdout)]


def test_the_cli_filters_by_connector_user_outcome_and_time(run: Run) -> None:
    sent = [request_id for _, _, request_id, _ in run.sent]
    assert _ids(run) == sent
    assert _ids(run, "--connector", DOWN) == [r for c, _, r, _ in run.sent if c == DOWN]
    failed = [request_id for _, _, request_id, status in run.sent if status >= 400]
    assert _ids(run, "--outcome", "failed") == failed
    assert _ids(run, "--user", run.login) == sent[:5] + sent[6:8]
    assert _ids(run, "--since", "1h") == sent
    assert _ids(run, "--connector", "demo", "--outcome", "ok", "--lines", "2") == [sent[6], sent[-1]]
    table = _cli(run, "--user", run.login).stdout
    assert run.login in table
    assert "failed 409 uniqueness" in table


def test_the_cli_shows_one_operation(run: Run) -> None:
    shown = _cli(run, "show", run.patch_id).stdout
    assert "patch" in shown
    assert "title, active" in shown
    assert run.login in shown
    assert "not recorded" in shown
    assert TITLE not in shown
    assert _cli(run, "show", run.patch_id[:12]).stdout == shown, "the table's short id is enough"
    missing = CliRunner().invoke(app, ["activity", "show", "nope", "--home", str(run.home)])
    assert missing.exit_code == 1


def test_the_cli_refuses_a_since_it_cannot_read(run: Run) -> None:
    result = CliRunner().invoke(app, ["activity", "--since", "yesterday", "--home", str(run.home)])
    assert result.exit_code == 2
    assert "30m" in result.output


def test_the_troubleshooting_zip_holds_the_recent_activity_without_values(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "info.zip"
    collect(Home(run.home), out, timeout=1, activity_hours=1)
    with zipfile.ZipFile(out) as archive:
        activity = json.loads(archive.read("activity.json"))
        everything = b"".join(archive.read(name) for name in archive.namelist())
    assert [row["request_id"] for row in activity] == [request_id for _, _, request_id, _ in run.sent]
    for secret in (TOKEN, PASSWORD, TITLE, FAMILY):
        assert secret.encode() not in everything


def test_test_connection_says_when_the_connector_last_received_a_request(run: Run, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    arguments = ["test-connection", "demo", "--token-file", str(token_file), "--json", "--timeout", "1"]
    result = CliRunner().invoke(app, [*arguments, "--home", str(run.home)])
    step = next(step for step in json.loads(result.stdout)["steps"] if step["name"] == "recent requests")
    assert step["status"] == "pass"
    assert step["detail"].endswith("GET discovery -> 200 (ok)")


@pytest.fixture(scope="module")
def verbose_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo on SQLite served by two workers at Verbose, after 24 creates sent four at a time."""
    home = tmp_path_factory.mktemp("activity-verbose")
    start_demo_host(home).stop()
    save_settings(Home(home), HostSettings(log_levels=LogLevels(host=LogLevel.VERBOSE)))
    host = start_host(home, ["serve", "--home", str(home), "--bind", "127.0.0.1", "--workers", "2"])

    def create(number: int) -> int:
        body = entra_user(f"verbose-{number}-{uuid.uuid4().hex[:6]}")
        body |= {"title": TITLE, "password": PASSWORD}
        with _client(host, "demo") as scim:
            return scim.post("/Users", json=body).status_code

    try:
        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(create, range(VERBOSE_CREATES)))
        assert len(set(statuses)) == 1, statuses
        _wait_for(home, VERBOSE_CREATES)
    finally:
        host.stop()
    return home


def test_two_workers_write_one_journal_and_verbose_keeps_bodies_with_the_password_masked(verbose_home: Path) -> None:
    rows = _rows(verbose_home)
    assert len(rows) == VERBOSE_CREATES
    assert len({row["request_id"] for row in rows}) == VERBOSE_CREATES
    assert all(TITLE in row["request_body"] for row in rows), "at Verbose the values are kept"
    folder = journal_path(Home(verbose_home)).parent
    raw = b"".join(path.read_bytes() for path in folder.iterdir() if path.is_file())
    assert PASSWORD.encode() not in raw
    assert TOKEN.encode() not in raw
