"""`returned: request` and `returned: always` in the connector file (RFC 7643 §7, and what `/Schemas` tells the
client) honoured on the real host over HTTPS: on GET, lists, and the responses of POST, PUT and PATCH."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from e2e_host import RunningHost
from entra_requests import ECMA, ENTERPRISE, entra_user, patch
from rfc_hosts import connector, scim_client, serve

pytestmark = pytest.mark.e2e

NAME = "returned"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    home = tmp_path_factory.mktemp("returned")
    url = f"sqlite:///{home / 'target.db'}"
    raw = connector(NAME, url)
    attributes = raw["object_types"]["User"]["attributes"]
    attributes["Title"]["returned"] = "request"
    attributes["Department"]["returned"] = "always"
    running = serve(home, url, [raw])
    yield running
    running.stop()


@pytest.fixture
def scim(host: RunningHost) -> Iterator[httpx.Client]:
    with scim_client(host, NAME) as client:
        yield client


def _user(scim: httpx.Client, **params: str) -> httpx.Response:
    body: dict[str, Any] = {**entra_user(), "title": "Boss", ENTERPRISE: {"department": "Sales"}}
    response = scim.post("/Users", params=params, json=body)
    assert response.status_code == 201, response.text
    return response


def test_the_schema_tells_the_client_the_rules(scim: httpx.Client) -> None:
    core = scim.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").json()
    assert next(a for a in core["attributes"] if a["name"] == "title")["returned"] == "request"


def test_a_request_only_attribute_is_left_out_unless_attributes_names_it(scim: httpx.Client) -> None:
    created = _user(scim).json()
    assert "title" not in created
    assert "Title" not in created[ECMA]
    uid = created["id"]
    assert "title" not in scim.get(f"/Users/{uid}").json()
    assert "title" not in scim.get(f"/Users/{uid}", params={"excludedAttributes": "userName"}).json()
    assert scim.get(f"/Users/{uid}", params={"attributes": "title"}).json()["title"] == "Boss"
    listed = scim.get("/Users", params={"filter": f'id eq "{uid}"', "attributes": f"{ECMA}:Title"}).json()
    assert listed["Resources"][0][ECMA]["Title"] == "Boss"


def test_write_responses_follow_the_rules_too(scim: httpx.Client) -> None:
    assert _user(scim, attributes="title").json()["title"] == "Boss"
    uid = _user(scim).json()["id"]
    rename = patch({"op": "Replace", "path": "name.givenName", "value": "New"})
    patched = scim.patch(f"/Users/{uid}", json=rename)
    assert patched.status_code == 200, patched.text
    assert "title" not in patched.json()
    asked = scim.patch(f"/Users/{uid}", params={"attributes": "title"}, json=rename)
    assert asked.json()["title"] == "Boss"
    replaced = scim.put(f"/Users/{uid}", params={"attributes": "title"}, json={**entra_user(), "title": "Chief"})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["title"] == "Chief"


def test_an_always_returned_attribute_cannot_be_left_out(scim: httpx.Client) -> None:
    uid = _user(scim).json()["id"]
    only = scim.get(f"/Users/{uid}", params={"attributes": "userName"}).json()
    assert set(only) == {"id", "schemas", "meta", "userName", ENTERPRISE, ECMA}
    assert only[ENTERPRISE] == {"department": "Sales"}
    assert only[ECMA] == {"Department": "Sales"}
    without = scim.get(f"/Users/{uid}", params={"excludedAttributes": ENTERPRISE}).json()
    assert without[ENTERPRISE] == {"department": "Sales"}
