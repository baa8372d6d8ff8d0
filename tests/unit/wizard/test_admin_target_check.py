"""The admin UI checks a connector against its target before it saves it: its import and the wizard's Save
refuse a file whose CSV header lacks a selected column (nothing written, the problem and its fix shown), and
'Save without checking the target' saves it anyway."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_admin_pages_more import CONNECTOR, PASSWORD, Client, csrf

from ecmahost.admin.security import set_admin_password
from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home


@pytest.fixture
def home(tmp_path: Path) -> Home:
    where = Home(tmp_path / "home")
    where.ensure()
    (where.root / "data").mkdir()
    (where.root / "data" / "people.csv").write_text("Id,Logon\n")  # the file says Login
    set_admin_password(where, PASSWORD)
    return where


@pytest.fixture
def client(home: Home) -> Iterator[Client]:
    browser = Client(home)
    assert browser.post("/login", data={"password": PASSWORD}).status_code == 200
    yield browser
    browser.close()


def test_import_refuses_a_file_whose_target_lacks_a_column(client: Client, home: Home) -> None:
    files = {"file": ("people.yaml", CONNECTOR.encode(), "application/yaml")}
    answer = client.post("/connectors/import", data={"csrf": csrf(client)}, files=files)
    assert answer.status_code == 400
    assert "object_types.User.attributes.Login: does not match the target: people.csv has no column" in answer.text
    assert not ConnectorStore(home).exists("people")


def test_the_wizard_save_refuses_then_saves_when_told_to_skip_the_check(client: Client, home: Home) -> None:
    ConnectorStore(home).import_(CONNECTOR, replace=False, source="test")
    (home.connectors_dir / "people.yaml").write_text(CONNECTOR.replace("Login: {", "Logon: {"))  # now it matches
    page = client.get("/connectors/people/edit")
    draft = re.search(r"/wizard/([^/]+)/", str(page.url))
    assert draft is not None
    review = f"/wizard/{draft.group(1)}/review"
    (home.root / "data" / "people.csv").write_text("Id,Login\n")  # the target changed under the draft
    refused = client.post(review, data={"csrf": csrf(client, review), "action": "save"})
    assert "Not saved" in refused.text
    assert "people.csv has no column" in refused.text
    assert "Logon" in (home.connectors_dir / "people.yaml").read_text()
    saved = client.post(review, data={"csrf": csrf(client, review), "action": "save", "skip_target_check": "1"})
    assert saved.status_code == 200
    assert "Connector people saved" in saved.text
