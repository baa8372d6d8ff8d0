"""What the directory refuses reaches the SCIM client as an error it can act on, never as slapd's or ldap3's own
text: the real host over HTTPS on an LDAP connector on slapd (inetOrgPerson users, groupOfNames groups)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_ldap_e2e import NAME, TOKEN, _start, create_user

from e2e_host import RunningHost
from support.scim_errors import refused
from support.slapd import Slapd

pytestmark = [pytest.mark.e2e, pytest.mark.ldap]

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
NOT_A_UUID = "no-such-member"
NO_ENTRY = "11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="module")
def host(ldap_server: Slapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    running = _start(tmp_path_factory.mktemp("ldap-errors-home"), ldap_server)
    yield running
    running.stop()


@pytest.fixture
def scim(host: RunningHost) -> Iterator[httpx.Client]:
    base = f"{host.root}/ecma2host_{NAME}/scim"
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, verify=host.tls()) as client:
        yield client


def _group(scim: httpx.Client, members: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [CORE_GROUP], "displayName": f"errors-{uuid.uuid4().hex[:10]}"}
    if members:
        body["members"] = [{"value": m} for m in members]
    response = scim.post("/Groups", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _members(scim: httpx.Client, group: dict[str, Any]) -> set[str]:
    return {m["value"] for m in scim.get(f"/Groups/{group['id']}").json().get("members", [])}


def test_members_that_name_no_entry_are_400_naming_them_on_post_patch_and_put(scim: httpx.Client) -> None:
    user = create_user(scim)
    name = f"errors-{uuid.uuid4().hex[:10]}"
    body = {"schemas": [CORE_GROUP], "displayName": name, "members": [{"value": user["id"]}, {"value": NOT_A_UUID}]}
    detail = refused(scim.post("/Groups", json=body), 400, "invalidValue")
    assert f"'{NOT_A_UUID}'" in detail
    assert user["id"] not in detail
    assert scim.get("/Groups", params={"filter": f'displayName eq "{name}"'}).json()["totalResults"] == 0

    group = _group(scim, [user["id"]])
    add = {"op": "Add", "path": "members", "value": [{"value": NOT_A_UUID}, {"value": NO_ENTRY}]}
    response = scim.patch(f"/Groups/{group['id']}", json={"schemas": [PATCH], "Operations": [add]})
    detail = refused(response, 400, "invalidValue")
    assert f"'{NOT_A_UUID}'" in detail
    assert f"'{NO_ENTRY}'" in detail
    replace = {"schemas": [CORE_GROUP], "displayName": group["displayName"], "members": [{"value": NO_ENTRY}]}
    assert f"'{NO_ENTRY}'" in refused(scim.put(f"/Groups/{group['id']}", json=replace), 400, "invalidValue")
    assert _members(scim, group) == {user["id"]}, "nothing was written"


def test_an_id_that_cannot_be_an_anchor_is_404_not_a_target_outage(scim: httpx.Client) -> None:
    refused(scim.get(f"/Users/{NOT_A_UUID}"), 404, None)
    operation = {"op": "replace", "path": "title", "value": "x"}
    refused(scim.patch(f"/Users/{NOT_A_UUID}", json={"schemas": [PATCH], "Operations": [operation]}), 404, None)


def test_an_attribute_the_object_class_requires_is_named_with_its_scim_path(scim: httpx.Client) -> None:
    user = create_user(scim)
    operation = {"op": "remove", "path": "name.familyName"}
    response = scim.patch(f"/Users/{user['id']}", json={"schemas": [PATCH], "Operations": [operation]})
    detail = refused(response, 400, "invalidValue")
    assert "name.familyName (target attribute sn) is required" in detail
    assert scim.get(f"/Users/{user['id']}").json()["name"]["familyName"] == user["name"]["familyName"]


def test_a_value_of_the_wrong_syntax_is_named_with_its_scim_path(scim: httpx.Client) -> None:
    user = create_user(scim)
    operation = {"op": "replace", "path": 'emails[type eq "work"].value', "value": "ünïcode@example.org"}
    response = scim.patch(f"/Users/{user['id']}", json={"schemas": [PATCH], "Operations": [operation]})
    detail = refused(response, 400, "invalidValue")
    assert "(target attribute mail)" in detail
    assert "syntax" in detail


def test_a_taken_name_is_409_naming_the_attribute_the_dn_is_made_of(scim: httpx.Client) -> None:
    user, other = create_user(scim), create_user(scim)
    again = {"schemas": [CORE_USER], "userName": user["userName"], "name": {"familyName": "Again"}}
    assert "userName (target attribute uid)" in refused(scim.post("/Users", json=again), 409, "uniqueness")
    rename = {"op": "replace", "path": "userName", "value": user["userName"]}
    response = scim.patch(f"/Users/{other['id']}", json={"schemas": [PATCH], "Operations": [rename]})
    assert "userName (target attribute uid)" in refused(response, 409, "uniqueness")
    assert scim.get(f"/Users/{other['id']}").json()["userName"] == other["userName"]
