"""Every request of shared/entra-scim-contract.md against the real host over HTTPS, quirks included, with the
exact status and body shape Entra expects. Runs on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from e2e_host import RunningHost
from entra_requests import (
    CORE_GROUP,
    CORE_USER,
    ECMA,
    ENTERPRISE,
    LIST,
    SCIM_JSON,
    assert_error,
    create_user,
    entra_user,
    patch,
)

pytestmark = pytest.mark.e2e


def test_dummy_user_query_returns_the_exact_empty_list_response(scim: httpx.Client) -> None:
    response = scim.get("/Users", params={"filter": f'userName eq "{uuid.uuid4()}"'})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(SCIM_JSON)
    assert response.json() == {
        "schemas": [LIST],
        "totalResults": 0,
        "Resources": [],
        "startIndex": 1,
        "itemsPerPage": 0,
    }


def test_test_connection_with_the_default_placeholder_mapping_gets_an_empty_list(scim: httpx.Client) -> None:
    response = scim.get("/Users", params={"filter": f'PLACEHOLDER eq "{uuid.uuid4()}"'})
    assert response.status_code == 200
    assert response.json()["totalResults"] == 0


def test_tenant_url_with_the_compliance_flag_serves_the_same_connector(host: RunningHost) -> None:
    with host.client() as scim:
        response = scim.get("/Users?aadOptscim062020", params={"filter": 'userName eq "nobody"'})
    assert response.status_code == 200
    assert response.json()["Resources"] == []


def test_create_returns_201_with_id_meta_and_location(scim: httpx.Client) -> None:
    body = entra_user()
    response = scim.post("/Users", json=body)
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith(SCIM_JSON)
    user = response.json()
    assert user["id"]
    assert user["userName"] == body["userName"]
    assert user["externalId"] == body["externalId"]
    assert user["active"] is True
    assert user["emails"] == [{"type": "work", "value": body["emails"][0]["value"]}]
    assert user["name"] == {"givenName": "givenName", "familyName": "familyName"}
    assert CORE_USER in user["schemas"]
    assert user["meta"]["resourceType"] == "User"
    assert user["meta"]["location"].endswith(f"/ecma2host_demo/scim/Users/{user['id']}")
    assert user["meta"]["created"]
    assert user["meta"]["lastModified"]
    assert response.headers["location"] == user["meta"]["location"]
    assert user[ECMA]["ContosoLogin"] == body["userName"]
    assert user[ECMA]["FirstName"] == "givenName"


def test_get_by_id_returns_the_user_and_unknown_id_is_a_scim_404(scim: httpx.Client) -> None:
    user = create_user(scim)
    response = scim.get(f"/Users/{user['id']}")
    assert response.status_code == 200
    assert response.json()["userName"] == user["userName"]
    assert response.headers["etag"] == response.json()["meta"]["version"]
    assert_error(scim.get(f"/Users/{uuid.uuid4().hex}"), 404)


@pytest.mark.parametrize(
    "make_filter",
    [
        lambda u: f'userName eq "{u["userName"]}"',
        lambda u: f'userName eq "{u["userName"].upper()}"',
        lambda u: f'externalId eq "{u["externalId"]}"',
        lambda u: f"externalId eq {u['externalId']}",
        lambda u: f'emails[type eq "work"].value eq "{u["emails"][0]["value"]}"',
        lambda u: f'{ECMA}:ContosoLogin eq "{u["userName"]}"',
        lambda u: f'userName eq "{u["userName"]}" and active eq true',
    ],
    ids=["userName", "userName-case", "externalId", "externalId-unquoted", "work-email", "ecma-extension", "and"],
)
def test_match_queries_find_exactly_the_user(scim: httpx.Client, make_filter: Any) -> None:
    user = create_user(scim)
    response = scim.get("/Users", params={"filter": make_filter(user)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["schemas"] == [LIST]
    assert body["totalResults"] == 1
    assert [r["id"] for r in body["Resources"]] == [user["id"]]
    assert body["startIndex"] == 1
    assert body["itemsPerPage"] == 1


def test_patch_multi_valued_and_single_valued_paths(scim: httpx.Client) -> None:
    user = create_user(scim)
    response = scim.patch(
        f"/Users/{user['id']}",
        json=patch(
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "updatedEmail@microsoft.com"},
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
        ),
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["emails"] == [{"type": "work", "value": "updatedEmail@microsoft.com"}]
    assert updated["name"]["familyName"] == "updatedFamilyName"
    new_login = f"{uuid.uuid4()}@testuser.com"
    response = scim.patch(f"/Users/{user['id']}", json=patch({"op": "Replace", "path": "userName", "value": new_login}))
    assert response.status_code == 200
    assert scim.get(f"/Users/{user['id']}").json()["userName"] == new_login


def test_disable_with_the_string_false_keeps_the_user_readable_and_enable_with_true(scim: httpx.Client) -> None:
    user = create_user(scim)
    response = scim.patch(f"/Users/{user['id']}", json=patch({"op": "Replace", "path": "active", "value": "False"}))
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    assert scim.get(f"/Users/{user['id']}").json()["active"] is False
    found = scim.get("/Users", params={"filter": f'userName eq "{user["userName"]}"'}).json()
    assert found["totalResults"] == 1, "filter responses include inactive users"
    response = scim.patch(f"/Users/{user['id']}", json=patch({"op": "replace", "path": "active", "value": True}))
    assert response.json()["active"] is True


def test_pathless_replace_with_dotted_and_urn_keys(scim: httpx.Client) -> None:
    user = create_user(scim)
    value = {"displayName": "A", "name.givenName": "B", f"{ENTERPRISE}:employeeNumber": "7"}
    response = scim.patch(f"/Users/{user['id']}", json=patch({"op": "replace", "value": value}))
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["displayName"] == "A"
    assert updated["name"]["givenName"] == "B"
    assert updated[ENTERPRISE]["employeeNumber"] == "7"


def test_add_on_single_valued_attributes_and_manager_reference(scim: httpx.Client) -> None:
    manager = create_user(scim)
    user = create_user(scim)
    response = scim.patch(
        f"/Users/{user['id']}",
        json=patch(
            {"op": "Add", "path": "nickName", "value": "Babs"},
            {"op": "Add", "path": f"{ENTERPRISE}:employeeNumber", "value": "42"},
            {"op": "Add", "path": "manager", "value": [{"$ref": "https://x/Users/m", "value": manager["id"]}]},
        ),
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["nickName"] == "Babs"
    assert updated[ENTERPRISE]["employeeNumber"] == "42"
    assert updated[ENTERPRISE]["manager"]["value"] == manager["id"]


def test_a_retried_create_gets_409_uniqueness_and_no_duplicate(scim: httpx.Client) -> None:
    user = create_user(scim)
    assert_error(scim.post("/Users", json=entra_user(user["userName"])), 409, "uniqueness")
    found = scim.get("/Users", params={"filter": f'userName eq "{user["userName"]}"'}).json()
    assert found["totalResults"] == 1


def test_delete_returns_204_then_the_user_is_gone(scim: httpx.Client) -> None:
    user = create_user(scim)
    response = scim.delete(f"/Users/{user['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert_error(scim.get(f"/Users/{user['id']}"), 404)
    assert_error(scim.delete(f"/Users/{user['id']}"), 404)


def test_group_lifecycle_as_entra_sends_it(scim: httpx.Client) -> None:
    users = [create_user(scim) for _ in range(3)]
    name = f"group-{uuid.uuid4()}"
    response = scim.post(
        "/Groups",
        json={
            "schemas": [CORE_GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "externalId": str(uuid.uuid4()),
            "displayName": name,
            "meta": {"resourceType": "Group"},
        },
    )
    assert response.status_code == 201, response.text
    group = response.json()
    assert group["displayName"] == name
    assert group["members"] == []
    assert group["schemas"][0] == CORE_GROUP
    gid = group["id"]

    response = scim.get(f"/Groups/{gid}", params={"excludedAttributes": "members"})
    assert response.status_code == 200
    assert "members" not in response.json()
    found = scim.get("/Groups", params={"excludedAttributes": "members", "filter": f'displayName eq "{name}"'}).json()
    assert found["totalResults"] == 1
    assert "members" not in found["Resources"][0]

    add = {"op": "Add", "path": "members", "value": [{"$ref": None, "value": u["id"]} for u in users]}
    assert scim.patch(f"/Groups/{gid}", json=patch(add)).status_code == 204
    members = {m["value"] for m in scim.get(f"/Groups/{gid}").json()["members"]}
    assert members == {u["id"] for u in users}

    remove = {"op": "Remove", "path": "members", "value": [{"value": users[0]["id"]}]}
    assert scim.patch(f"/Groups/{gid}", json=patch(remove)).status_code == 204
    flagged = {"op": "remove", "path": f'members[value eq "{users[1]["id"]}"]'}
    assert scim.patch(f"/Groups/{gid}", json=patch(flagged)).status_code == 204
    assert [m["value"] for m in scim.get(f"/Groups/{gid}").json()["members"]] == [users[2]["id"]]

    renamed = f"{name}-updated"
    response = scim.patch(f"/Groups/{gid}", json=patch({"op": "Replace", "path": "displayName", "value": renamed}))
    assert response.status_code == 204
    assert scim.get(f"/Groups/{gid}").json()["displayName"] == renamed
    member_filter = scim.get("/Groups", params={"filter": f'members[value eq "{users[2]["id"]}"]'}).json()
    assert [g["id"] for g in member_filter["Resources"]] == [gid]

    assert scim.delete(f"/Groups/{gid}").status_code == 204
    assert_error(scim.get(f"/Groups/{gid}"), 404)


def test_group_display_name_is_unique(scim: httpx.Client) -> None:
    name = f"unique-{uuid.uuid4()}"
    body = {"schemas": [CORE_GROUP], "displayName": name}
    assert scim.post("/Groups", json=body).status_code == 201
    assert_error(scim.post("/Groups", json=body), 409, "uniqueness")


def test_schemas_lists_the_selected_attributes_without_nulls(scim: httpx.Client) -> None:
    response = scim.get("/Schemas")
    assert response.status_code == 200
    body = response.json()
    assert body["schemas"] == [LIST]
    ids = {r["id"] for r in body["Resources"]}
    assert {CORE_USER, ENTERPRISE, ECMA, CORE_GROUP} <= ids
    extension = next(r for r in body["Resources"] if r["id"] == ECMA)
    names = {a["name"] for a in extension["attributes"]}
    assert {"ContosoLogin", "FirstName", "LastName", "Email", "InternalGUID", "AzureID", "textID"} <= names
    assert "null" not in response.text
    one = scim.get(f"/Schemas/{ECMA}")
    assert one.status_code == 200
    assert one.json()["id"] == ECMA


def test_discovery_documents(scim: httpx.Client) -> None:
    spc = scim.get("/ServiceProviderConfig").json()
    assert spc["patch"] == {"supported": True}
    assert spc["filter"]["supported"] is True
    types = scim.get("/ResourceTypes").json()
    assert {r["id"] for r in types["Resources"]} == {"User", "Group"}
    assert scim.get("/ResourceTypes/User").json()["endpoint"] == "/Users"


def test_put_and_replace_of_members_set_the_whole_member_list(scim: httpx.Client) -> None:
    users = [create_user(scim) for _ in range(3)]
    name = f"put-{uuid.uuid4()}"
    body = {"schemas": [CORE_GROUP], "displayName": name, "members": [{"value": users[0]["id"]}]}
    group = scim.post("/Groups", json=body).json()
    assert [m["value"] for m in group["members"]] == [users[0]["id"]]
    replaced = {**body, "members": [{"value": users[1]["id"]}, {"value": users[2]["id"]}]}
    response = scim.put(f"/Groups/{group['id']}", json=replaced)
    assert response.status_code == 200, response.text
    assert {m["value"] for m in response.json()["members"]} == {users[1]["id"], users[2]["id"]}
    only = {"op": "replace", "path": "members", "value": [{"value": users[0]["id"]}]}
    assert scim.patch(f"/Groups/{group['id']}", json=patch(only)).status_code == 204
    assert [m["value"] for m in scim.get(f"/Groups/{group['id']}").json()["members"]] == [users[0]["id"]]
