"""What the target refuses reaches the SCIM client as an error it can act on, never as the driver's text: the real
host over HTTPS on SQLite, PostgreSQL and MariaDB (the demo schema, whose link table has foreign keys).

Each test sends bad input, checks the status, the scimType and that the detail names the attribute, value or
member, and that nothing was written."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from e2e_host import RunningHost
from support.scim_errors import refused

pytestmark = pytest.mark.e2e

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _user(scim: httpx.Client, **extra: Any) -> dict[str, Any]:
    body = {"schemas": [USER], "userName": f"err-{uuid.uuid4().hex[:10]}@contoso.com", **extra}
    response = scim.post("/Users", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _group(scim: httpx.Client, members: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [GROUP], "displayName": f"err-{uuid.uuid4().hex[:10]}"}
    if members:
        body["members"] = [{"value": m} for m in members]
    response = scim.post("/Groups", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _member_ids(scim: httpx.Client, group: dict[str, Any]) -> set[str]:
    stored = scim.get(f"/Groups/{group['id']}").json()
    return {member["value"] for member in stored.get("members", [])}


def test_creating_a_group_with_a_member_that_does_not_exist_names_it_and_creates_nothing(
    scim: httpx.Client,
) -> None:
    user = _user(scim)
    name = f"err-{uuid.uuid4().hex[:10]}"
    body = {"schemas": [GROUP], "displayName": name, "members": [{"value": user["id"]}, {"value": "no-such-user-1"}]}
    detail = refused(scim.post("/Groups", json=body), 400, "invalidValue")
    assert "members" in detail
    assert "'no-such-user-1'" in detail
    assert user["id"] not in detail, "only the missing member is named"
    assert "add the user first or remove it" in detail
    found = scim.get("/Groups", params={"filter": f'displayName eq "{name}"'}).json()
    assert found["totalResults"] == 0, "the group was not created"


def test_adding_members_that_do_not_exist_names_each_and_adds_none(scim: httpx.Client) -> None:
    user, other = _user(scim), _user(scim)
    group = _group(scim, [user["id"]])
    operation = {
        "op": "Add",
        "path": "members",
        "value": [{"value": other["id"]}, {"value": "no-such-user-2"}, {"value": "no-such-user-3"}],
    }
    detail = refused(
        scim.patch(f"/Groups/{group['id']}", json={"schemas": [PATCH], "Operations": [operation]}), 400, "invalidValue"
    )
    assert "'no-such-user-2'" in detail
    assert "'no-such-user-3'" in detail
    assert other["id"] not in detail
    assert _member_ids(scim, group) == {user["id"]}, "nothing was added"


def test_replacing_a_group_with_a_member_that_does_not_exist_names_it_and_changes_nothing(
    scim: httpx.Client,
) -> None:
    user = _user(scim)
    group = _group(scim, [user["id"]])
    body = {"schemas": [GROUP], "displayName": group["displayName"], "members": [{"value": "no-such-user-4"}]}
    detail = refused(scim.put(f"/Groups/{group['id']}", json=body), 400, "invalidValue")
    assert "'no-such-user-4'" in detail
    assert _member_ids(scim, group) == {user["id"]}, "the members are as they were"


def test_a_taken_unique_value_is_409_naming_the_attribute(scim: httpx.Client) -> None:
    user = _user(scim)
    detail = refused(scim.post("/Users", json={"schemas": [USER], "userName": user["userName"]}), 409, "uniqueness")
    assert "userName" in detail
    assert "ContosoLogin" in detail
    group = _group(scim)
    detail = refused(
        scim.post("/Groups", json={"schemas": [GROUP], "displayName": group["displayName"]}), 409, "uniqueness"
    )
    assert "displayName" in detail


def test_removing_a_value_the_target_requires_is_400_naming_the_attribute(scim: httpx.Client) -> None:
    user = _user(scim)
    operation = {"op": "remove", "path": "userName"}
    detail = refused(
        scim.patch(f"/Users/{user['id']}", json={"schemas": [PATCH], "Operations": [operation]}), 400, "invalidValue"
    )
    assert "userName" in detail
    assert scim.get(f"/Users/{user['id']}").json()["userName"] == user["userName"]


def test_a_phone_number_without_its_required_value_names_the_sub_attribute(scim: httpx.Client) -> None:
    user = _user(scim)
    operation = {"op": "add", "path": "phoneNumbers", "value": [{"type": "work"}]}
    response = scim.patch(f"/Users/{user['id']}", json={"schemas": [PATCH], "Operations": [operation]})
    detail = refused(response, 400, "invalidValue")
    assert "phoneNumbers" in detail


def test_a_value_longer_than_its_column_is_400_naming_the_attribute(host: RunningHost, scim: httpx.Client) -> None:
    user = _user(scim)
    operation = {"op": "replace", "path": "title", "value": "t" * 3000}
    response = scim.patch(f"/Users/{user['id']}", json={"schemas": [PATCH], "Operations": [operation]})
    if response.status_code == 200:  # SQLite does not enforce VARCHAR lengths
        return
    detail = refused(response, 400, "invalidValue")
    assert "title (target attribute Title)" in detail
    assert "longer" in detail
    long_name = {"schemas": [USER], "userName": "u" * 300}
    assert "userName" in refused(scim.post("/Users", json=long_name), 400, "invalidValue")
