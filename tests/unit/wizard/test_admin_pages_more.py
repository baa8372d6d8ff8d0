"""The admin UI's pages that no browser test drives in detail, through the real Starlette app in process: the
Test connection page runs `ecmahost test-connection`'s steps, Import/Export/Delete, the certificate generated or
uploaded where the host serves it from, and the Logs page's filters."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ecmahost.admin.app import create_admin_app
from ecmahost.admin.security import set_admin_password
from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home
from ecmahost.settings import load_settings
from ecmahost.tls import certificate_info, generate_certificate

PASSWORD = "a-long-admin-password"
CONNECTOR = """name: people
type: csv
connection: {folder: data}
object_types:
  User:
    file: people.csv
    anchor: Id
    attributes:
      Id: {mutability: readOnly}
      Login: {scim: userName, required: true, unique: true}
"""


@pytest.fixture
def home(tmp_path: Path) -> Home:
    where = Home(tmp_path / "home")
    where.ensure()
    (where.root / "data").mkdir()
    set_admin_password(where, PASSWORD)
    return where


class Client:
    """The admin app over httpx's ASGI transport (no socket), driven synchronously with cookies kept."""

    def __init__(self, home: Home) -> None:
        self.loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=create_admin_app(home))
        self.http = httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", follow_redirects=True)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.http.get(path, **kwargs))

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.http.post(path, **kwargs))

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()


@pytest.fixture
def client(home: Home) -> Iterator[Client]:
    browser = Client(home)
    assert browser.post("/login", data={"password": PASSWORD}).status_code == 200
    yield browser
    browser.close()


def csrf(client: Client, path: str = "/") -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert match is not None
    return match.group(1)


def test_import_button_saves_the_uploaded_file_and_export_redacts_secrets(client: Client, home: Home) -> None:
    files = {"file": ("people.yaml", CONNECTOR.encode(), "application/yaml")}
    answer = client.post("/connectors/import", data={"csrf": csrf(client)}, files=files)
    assert answer.status_code == 200
    assert "Imported connector people" in answer.text
    assert ConnectorStore(home).exists("people")
    exported = client.get("/connectors/people/export")
    assert exported.headers["content-disposition"] == 'attachment; filename="people.yaml"'
    assert "file: people.csv" in exported.text


def test_import_button_refuses_an_invalid_file_with_the_reason(client: Client, home: Home) -> None:
    files = {"file": ("bad.yaml", b"name: bad\ntype: csv\nobject_types: {}\n", "application/yaml")}
    answer = client.post("/connectors/import", data={"csrf": csrf(client)}, files=files)
    assert answer.status_code == 400
    assert "object_types" in answer.text
    assert not ConnectorStore(home).exists("bad")


def test_delete_button_removes_the_connector_and_needs_the_csrf_token(client: Client, home: Home) -> None:
    ConnectorStore(home).import_(CONNECTOR, replace=False, source="test")
    assert client.post("/connectors/people/delete", data={"csrf": "forged"}).status_code == 403
    assert ConnectorStore(home).exists("people")
    answer = client.post("/connectors/people/delete", data={"csrf": csrf(client)})
    assert "Deleted connector people" in answer.text
    assert not ConnectorStore(home).exists("people")


def test_test_connection_page_runs_the_cli_steps_and_shows_the_fix(client: Client, home: Home) -> None:
    ConnectorStore(home).import_(CONNECTOR, replace=False, source="test")
    page = client.get("/connectors/people/test")
    assert "https://localhost:8585/ecma2host_people/scim" in page.text
    closed = "https://127.0.0.1:9/ecma2host_people/scim"
    answer = client.post("/connectors/people/test", data={"csrf": csrf(client), "url": closed, "token": "t" * 20})
    steps = re.findall(r'data-status="(\w+)"', answer.text)
    assert steps[:2] == ["pass", "fail"]  # the tenant URL is well formed; nothing listens on port 9
    assert set(steps[2:]) == {"skip"}
    assert "fix:" in answer.text
    assert "1 step(s) failed" in answer.text
    assert "t" * 20 not in answer.text


def test_a_generated_certificate_goes_where_host_yaml_points(client: Client, home: Home) -> None:
    home.host_file.write_text("tls: {certificate: tls/custom.crt, key: tls/custom.key}\n")
    answer = client.post(
        "/settings", data={"csrf": csrf(client, "/settings"), "action": "generate", "hostnames": "scim.example.org"}
    )
    assert "Certificate generated" in answer.text
    assert "scim.example.org" in certificate_info(home.root / "tls" / "custom.crt").sans
    assert not home.cert_file.exists()


def test_an_uploaded_certificate_replaces_the_one_the_host_serves(client: Client, home: Home, tmp_path: Path) -> None:
    home.host_file.write_text("tls: {certificate: tls/custom.crt, key: tls/custom.key}\n")
    pair = (tmp_path / "up.crt", tmp_path / "up.key")
    generate_certificate(pair, hostnames=["uploaded.example.org"])
    files = {"certificate": ("up.crt", pair[0].read_bytes()), "key": ("up.key", pair[1].read_bytes())}
    answer = client.post("/settings", data={"csrf": csrf(client, "/settings"), "action": "upload"}, files=files)
    assert "Certificate uploaded" in answer.text
    served, key = load_settings(home).certificate_paths(home)
    assert served.read_bytes() == pair[0].read_bytes()
    assert key.read_bytes() == pair[1].read_bytes()
    assert "uploaded.example.org" in answer.text  # the page shows the served certificate's names


def test_an_upload_whose_key_does_not_match_changes_nothing(client: Client, home: Home, tmp_path: Path) -> None:
    generate_certificate(home, hostnames=["served.example.org"])
    before = home.cert_file.read_bytes()
    one, other = (tmp_path / "a.crt", tmp_path / "a.key"), (tmp_path / "b.crt", tmp_path / "b.key")
    generate_certificate(one, hostnames=["a"])
    generate_certificate(other, hostnames=["b"])
    files = {"certificate": ("a.crt", one[0].read_bytes()), "key": ("b.key", other[1].read_bytes())}
    answer = client.post("/settings", data={"csrf": csrf(client, "/settings"), "action": "upload"}, files=files)
    assert answer.status_code == 400
    assert home.cert_file.read_bytes() == before
    assert not list(home.certs_dir.glob(".*upload"))


LOG = """2026-01-02T10:00:00.000Z Information people GET /Users 200
2026-01-02T10:00:01.000Z Error       people POST /Users 500 target down
2026-01-02T10:00:02.000Z Warning     hr PATCH /Users/1 429
2026-01-02T10:00:03.000Z Verbose     hr detail line
"""


def test_logs_page_filters_by_level_and_connector(client: Client, home: Home) -> None:
    home.logs_dir.mkdir(parents=True, exist_ok=True)
    (home.logs_dir / "ecmahost.log").write_text(LOG)
    everything = client.get("/logs", params={"level": "Verbose"}).text
    assert all(word in everything for word in ("GET /Users", "target down", "PATCH", "detail line"))
    errors = client.get("/logs", params={"level": "Error"}).text
    assert "target down" in errors
    assert "PATCH" not in errors
    assert "GET /Users" not in errors
    of_hr = client.get("/logs", params={"level": "Information", "connector": "hr"}).text
    assert "PATCH" in of_hr
    assert "target down" not in of_hr
    assert "detail line" not in of_hr
    tail = client.get("/logs/entries", params={"level": "Warning", "after": "1"}).json()
    assert tail["count"] == 2
    assert [entry["level"] for entry in tail["entries"]] == ["Warning"]


@pytest.mark.parametrize(
    ("type_name", "question"),
    [("csv", "Separator of a group&#39;s members"), ("script", "Secret parameters"), ("rest", "Authentication")],
)
def test_the_wizard_asks_each_new_types_connectivity_questions(client: Client, type_name: str, question: str) -> None:
    properties = client.get("/connectors/new")
    assert properties.status_code == 200
    token = re.search(r'name="csrf" value="([^"]+)"', properties.text)
    assert token is not None
    form = {"csrf": token.group(1), "name": f"new-{type_name}", "type": type_name, "action": "next"}
    connectivity = client.post(str(properties.url), data=form)
    assert connectivity.status_code == 200
    assert "Connectivity" in connectivity.text
    assert question in connectivity.text
