"""The web wizard's proposals from the target's facts, through the real admin app in process: a link table found
by its foreign keys fills the Group's members, and an anchor whose value nobody is known to produce is a choice
the admin must make on the Object types page (it cannot be skipped)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from schemas import create, cryptic, hr
from test_admin_pages_more import PASSWORD, Client

from ecmahost.admin.security import set_admin_password
from ecmahost.config.model import AnchorGeneration
from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home


@pytest.fixture
def client(home: Home) -> Iterator[Client]:
    set_admin_password(home, PASSWORD)
    browser = Client(home)
    assert browser.post("/login", data={"password": PASSWORD}).status_code == 200
    yield browser
    browser.close()


@pytest.fixture
def home(tmp_path: object) -> Home:
    where = Home(tmp_path / "home")  # type: ignore[operator]
    where.ensure()
    return where


def start(client: Client, database: str, **containers: str) -> tuple[str, str]:
    """Properties, Connectivity and Schema pages answered; (the Object types page's URL, its CSRF token)."""
    page = client.get("/connectors/new")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    base = str(page.url).rsplit("/", 1)[0]
    client.post(f"{base}/properties", data={"csrf": token, "name": "app", "type": "sql", "action": "next"})
    connect = {"csrf": token, "dialect": "sqlite", "database": database, "action": "next"}
    assert client.post(f"{base}/connectivity", data=connect).status_code == 200
    choose = {"csrf": token, "action": "next", **{f"container_{k}": v for k, v in containers.items()}}
    assert "Object types" in client.post(f"{base}/schema", data=choose).text
    return f"{base}/object-types", token


def test_the_link_table_found_by_foreign_keys_fills_the_members_fields(client: Client, home: Home) -> None:
    create(f"sqlite:///{home.root / 'hr.db'}", hr())
    url, _token = start(client, "hr.db", User="People", Group="Teams")
    page = client.get(url).text
    assert 'name="Group|members_table" value="TeamMembers"' in page
    assert 'name="Group|group_key" value="Team"' in page
    assert 'name="Group|member_key" value="Person"' in page


def test_an_anchor_nobody_produces_must_be_chosen_on_the_object_types_page(client: Client, home: Home) -> None:
    create(f"sqlite:///{home.root / 'c.db'}", cryptic())
    url, token = start(client, "c.db", User="t_num")
    page = client.get(url).text
    assert '<option value="" selected>(choose)</option>' in page
    assert "num_key (BIGINT) has no default or identity" in page
    form = {"csrf": token, "action": "next", "User|anchor": "num_key", "User|anchor_generate": "", "User|dn": ""}
    refused = client.post(url, data=form)
    assert refused.status_code == 400
    assert "choose the anchor and who produces its value" in refused.text
    chosen = client.post(url, data={**form, "User|anchor_generate": "none"})
    assert chosen.status_code == 200
    assert "Select Attributes" in chosen.text
    assert "(choose)" not in client.get(url).text


def test_the_web_wizard_saves_what_the_cli_saves_for_the_same_schema(client: Client, home: Home) -> None:
    create(f"sqlite:///{home.root / 'hr.db'}", hr())
    url, token = start(client, "hr.db", User="People", Group="Teams")
    base = url.rsplit("/", 1)[0]
    for step in ("object-types", "attributes"):  # each page posted back as the proposal filled it
        page = client.get(f"{base}/{step}").text
        fields = dict(re.findall(r'name="([^"]+\|[^"]+)" value="([^"]*)"', page))
        selects = re.findall(r'<select[^>]*name="([^"]+)"[^>]*>.*?<option[^>]*selected[^>]*>([^<]*)<', page, re.S)
        checked = re.findall(r'name="([^"]+)"[^>]*checked', page)
        data = {"csrf": token, "action": "next", **fields, **dict(selects), **{name: "on" for name in checked}}
        assert client.post(f"{base}/{step}", data=data).status_code == 200, step
    deprovisioning = {"User|disable": "set:IsActive=false", "User|delete": "delete", "Group|delete": "delete"}
    client.post(f"{base}/deprovisioning", data={"csrf": token, "action": "next", **deprovisioning})
    assert client.post(f"{base}/review", data={"csrf": token, "action": "save"}).status_code == 200
    config = ConnectorStore(home).load("app")
    user, group = config.object_types["User"], config.object_types["Group"]
    assert (user.anchor.attribute, user.anchor.generate) == ("PersonId", AnchorGeneration.UUID)
    assert group.target.members.group_key == "Team"
    assert user.attributes["UserName"].scim == "userName"
