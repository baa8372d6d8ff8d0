"""The web wizard's SCIM views choice (`views:`), through the real admin app in process: Properties offers it
with the file's value chosen, what the chosen views cannot serve is listed under its own heading (never as a
target problem at save), and Save writes the choice (`both` as no key)."""

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
from ecmahost.config import yaml_io
from ecmahost.config.model import SchemaViews
from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home
from ecmahost.wizard.draft import ConnectorDraft, ObjectTypeDraft, SelectedAttribute
from ecmahost.wizard.steps import Step, full_issues, headed_issues

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
      Badge: {required: true}
"""
VIEWS_HEADING = "What `views: core` cannot serve"


@pytest.fixture
def home(tmp_path: Path) -> Home:
    where = Home(tmp_path / "home")
    where.ensure()
    (where.root / "data").mkdir()
    (where.root / "data" / "people.csv").write_text("Id,Login,Badge\n")
    set_admin_password(where, PASSWORD)
    ConnectorStore(where).save(yaml_io.parse_mapping(CONNECTOR, file="people.yaml"))
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


def _csrf(page: httpx.Response) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def _properties(client: Client, page: httpx.Response, views: str) -> httpx.Response:
    data = {"csrf": _csrf(page), "description": "", "views": views, "action": "next"}
    return client.post(str(page.url), data=data)


def test_the_views_choice_is_asked_and_what_it_cannot_serve_has_its_own_heading(client: Client, home: Home) -> None:
    page = client.get("/connectors/people/edit")
    assert page.url.path.endswith("/properties")
    assert re.search(r'<option value="both"\s+selected', page.text)
    assert 'value="core"' in page.text
    assert 'value="extension"' in page.text

    moved = _properties(client, page, "core")
    assert moved.status_code == 200, moved.text
    assert moved.url.path.endswith("/connectivity")
    review = client.get(str(page.url).replace("/properties", "/review"))
    assert VIEWS_HEADING in review.text
    assert "object_types.User.attributes.Badge" in review.text
    assert "does not work against its target" not in review.text
    assert re.search(r'value="save"\s+disabled', review.text)

    page = client.get(str(page.url))
    assert re.search(r'<option value="core"\s+selected', page.text)
    _properties(client, page, "extension")
    review = client.get(str(page.url).replace("/properties", "/review"))
    assert VIEWS_HEADING.replace("core", "extension") not in review.text
    saved = client.post(str(review.url), data={"csrf": _csrf(review), "action": "save", "skip_target_check": "1"})
    assert saved.status_code == 200, saved.text
    store = ConnectorStore(home)
    assert store.load("people").views is SchemaViews.EXTENSION
    assert store.read_raw("people")["views"] == "extension"


def test_a_wrong_views_value_is_named_with_the_choices(client: Client) -> None:
    page = client.get("/connectors/people/edit")
    refused = _properties(client, page, "all")
    assert refused.status_code == 400
    assert "SCIM views &#39;all&#39;: choose one of both, core, extension" in refused.text


def test_the_views_problems_are_issues_of_the_draft_under_their_heading(home: Home) -> None:
    draft = ConnectorDraft(name="hr", type="csv", connection={"folder": "data"})
    draft.object_types["User"] = ObjectTypeDraft(
        target={"file": "people.csv"},
        anchor="Id",
        attributes={
            "Id": SelectedAttribute(),
            "Login": SelectedAttribute(scim="userName", required=True, unique=True),
            "Badge": SelectedAttribute(required=True),
        },
    )
    assert headed_issues(Step.REVIEW, draft, home) == []
    draft.set_views(SchemaViews.CORE)
    (heading, issues), *rest = headed_issues(Step.REVIEW, draft, home)
    assert rest == []
    assert heading.startswith(VIEWS_HEADING)
    assert [issue.path for issue in issues] == ["object_types.User.attributes.Badge"]
    assert issues == full_issues(draft, home)
    assert [issue.path for _, group in headed_issues(Step.ATTRIBUTES, draft, home) for issue in group] == [
        "object_types.User.attributes.Badge"
    ]
    assert headed_issues(Step.PROPERTIES, draft, home) == []
    draft.object_types["User"].attributes["Badge"].scim = "externalId"
    assert full_issues(draft, home) == []
