"""The activity journal over HTTPS on an LDAP connector (slapd): Entra's match, create with an initial password,
PATCH, a retried create (409) and delete are journaled exactly, with the user's identifiers, at Verbose with the
password masked, and never with the token."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from pathlib import Path

import httpx
import pytest
from test_ldap_e2e import NAME, TOKEN, _start, entra_user

from ecmahost.home import Home
from ecmahost.observability.activity_store import journal_path
from ecmahost.settings import HostSettings, LogLevel, LogLevels, save_settings

from entra_requests import patch
from support.slapd import Slapd

pytestmark = [pytest.mark.e2e, pytest.mark.ldap]

INITIAL_PASSWORD = "Initial-Pa55!"  # the password test_ldap_e2e.entra_user sends


def _rows(home: Path, count: int) -> list[dict[str, object]]:
    deadline = time.monotonic() + 15
    rows: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        if journal_path(Home(home)).exists():
            connection = sqlite3.connect(journal_path(Home(home)))
            connection.row_factory = sqlite3.Row
            rows = [dict(row) for row in connection.execute("SELECT * FROM operations ORDER BY seq")]
            connection.close()
            if len(rows) >= count:
                break
        time.sleep(0.2)
    return rows


def test_entras_sequence_on_ldap_is_journaled_exactly_and_without_the_password(
    ldap_server: Slapd, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    save_settings(Home(home), HostSettings(log_levels=LogLevels(host=LogLevel.VERBOSE)))
    host = _start(home, ldap_server)
    login = f"journal-{uuid.uuid4().hex[:8]}"
    sent: list[tuple[str, int, str]] = []
    try:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        base = f"{host.root}/ecma2host_{NAME}/scim"
        with httpx.Client(base_url=base, headers=headers, verify=host.tls(), timeout=30) as scim:

            def send(verb: str, method: str, path: str, **kwargs: object) -> httpx.Response:
                response = scim.request(method, path, **kwargs)  # type: ignore[arg-type]
                sent.append((verb, response.status_code, response.headers["x-request-id"]))
                return response

            send("search", "GET", "/Users", params={"filter": f'userName eq "{login}"'})
            user = send("create", "POST", "/Users", json=entra_user(login)).json()
            send("patch", "PATCH", f"/Users/{user['id']}", json=patch({"op": "Replace", "path": "title", "value": "T"}))
            send("create", "POST", "/Users", json=entra_user(login))
            send("delete", "DELETE", f"/Users/{user['id']}")
    finally:
        host.stop()
    rows = _rows(home, len(sent))
    assert [(row["verb"], row["status"], row["request_id"]) for row in rows] == sent
    assert [status for _, status, _ in sent] == [200, 201, 200, 409, 204]
    assert {row["user_name"] for row in rows} == {login}
    assert rows[3]["scim_type"] == "uniqueness"
    assert "password" in str(rows[1]["attributes"])
    assert login in str(rows[1]["request_body"]), "at Verbose the body is kept"
    raw = b"".join(path.read_bytes() for path in journal_path(Home(home)).parent.iterdir() if path.is_file())
    assert INITIAL_PASSWORD.encode() not in raw
    assert TOKEN.encode() not in raw
    assert INITIAL_PASSWORD not in json.dumps(rows)
