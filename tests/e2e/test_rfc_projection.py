"""`attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) on the real host over HTTPS, on SQLite,
PostgreSQL and MariaDB: the exact keys of each resource on list, get, POST, PUT and PATCH. `id`, `schemas` and
`meta` are always returned; `schemas` names only the schemas whose attributes remain."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from entra_requests import CORE_GROUP, CORE_USER, ECMA, ENTERPRISE, create_user, entra_user, patch

pytestmark = pytest.mark.e2e

ALWAYS = {"id", "schemas", "meta"}
ECMA_GROUP = "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:Group"


def _user_with_extension(scim: httpx.Client) -> dict[str, Any]:
    body = entra_user()
    body[ENTERPRISE] = {"department": "Sales", "employeeNumber": "42"}
    response = scim.post("/Users", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _get(scim: httpx.Client, uid: str, **params: str) -> dict[str, Any]:
    response = scim.get(f"/Users/{uid}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _listed(scim: httpx.Client, user: dict[str, Any], **params: str) -> dict[str, Any]:
    response = scim.get("/Users", params={"filter": f'userName eq "{user["userName"]}"', **params})
    assert response.status_code == 200, response.text
    (resource,) = response.json()["Resources"]
    return resource


def test_attributes_on_get_and_list_return_exactly_the_named_ones(scim: httpx.Client) -> None:
    user = _user_with_extension(scim)
    for resource in (_get(scim, user["id"], attributes="userName"), _listed(scim, user, attributes="userName")):
        assert set(resource) == ALWAYS | {"userName"}
        assert resource["userName"] == user["userName"]
        assert resource["schemas"] == [CORE_USER]
        assert resource["meta"]["location"] == user["meta"]["location"]
        assert resource["meta"]["version"]


def test_attributes_take_sub_attributes_and_multi_valued_sub_attributes(scim: httpx.Client) -> None:
    user = _user_with_extension(scim)
    resource = _get(scim, user["id"], attributes="name.givenName,emails.value,ACTIVE")
    assert set(resource) == ALWAYS | {"name", "emails", "active"}
    assert resource["name"] == {"givenName": "givenName"}
    assert resource["emails"] == [{"value": user["emails"][0]["value"]}]
    assert resource["active"] is True


def test_attributes_name_extension_attributes_by_their_schema_urn(scim: httpx.Client) -> None:
    user = _user_with_extension(scim)
    names = f"{ENTERPRISE}:department,{ECMA}:ContosoLogin,{CORE_USER}:name.familyName"
    for resource in (_get(scim, user["id"], attributes=names), _listed(scim, user, attributes=names)):
        assert set(resource) == ALWAYS | {ENTERPRISE, ECMA, "name"}
        assert resource[ENTERPRISE] == {"department": "Sales"}
        assert resource[ECMA] == {"ContosoLogin": user["userName"]}
        assert resource["name"] == {"familyName": "familyName"}
        assert resource["schemas"] == [CORE_USER, ENTERPRISE, ECMA]


def test_a_whole_extension_is_named_by_its_urn(scim: httpx.Client) -> None:
    user = _user_with_extension(scim)
    resource = _get(scim, user["id"], attributes=ENTERPRISE)
    assert set(resource) == ALWAYS | {ENTERPRISE}
    assert resource[ENTERPRISE] == user[ENTERPRISE]


def test_an_attribute_the_user_has_no_value_for_leaves_no_empty_object(scim: httpx.Client) -> None:
    user = create_user(scim)
    resource = _get(scim, user["id"], attributes=f"{ENTERPRISE}:costCenter,title,name.middleName")
    assert set(resource) == ALWAYS
    assert resource["schemas"] == [CORE_USER]


def test_excluded_attributes_remove_exactly_the_named_ones(scim: httpx.Client) -> None:
    user = _user_with_extension(scim)
    full = _get(scim, user["id"])
    for resource in (
        _get(scim, user["id"], excludedAttributes=f"{ECMA},name.givenName,emails.type"),
        _listed(scim, user, excludedAttributes=f"{ECMA},name.givenName,emails.type"),
    ):
        assert set(resource) == set(full) - {ECMA}
        assert resource["name"] == {"familyName": "familyName"}
        assert resource["emails"] == [{"value": user["emails"][0]["value"]}]
        assert resource["schemas"] == [CORE_USER, ENTERPRISE]
        assert resource[ENTERPRISE] == full[ENTERPRISE]


def test_excluding_every_sub_attribute_omits_the_parent(scim: httpx.Client) -> None:
    user = _user_with_extension(scim)
    resource = _get(scim, user["id"], excludedAttributes="name.givenName,name.familyName")
    assert "name" not in resource


def test_id_schemas_and_meta_are_returned_even_when_excluded(scim: httpx.Client) -> None:
    user = _user_with_extension(scim)
    full = _get(scim, user["id"])
    resource = _get(scim, user["id"], excludedAttributes="id,schemas,meta,userName")
    assert set(resource) == set(full) - {"userName"}
    assert resource["meta"] == full["meta"]


def test_group_members_follow_attributes_and_excluded_attributes(scim: httpx.Client) -> None:
    member = create_user(scim)
    created = scim.post(
        "/Groups",
        json={"schemas": [CORE_GROUP], "displayName": f"g-{member['id']}", "members": [{"value": member["id"]}]},
    )
    assert created.status_code == 201, created.text
    gid = created.json()["id"]
    only_values = scim.get(f"/Groups/{gid}", params={"attributes": "members.value"}).json()
    assert set(only_values) == ALWAYS | {"members"}
    assert only_values["members"] == [{"value": member["id"]}]
    qualified = scim.get(f"/Groups/{gid}", params={"attributes": f"{CORE_GROUP}:members"}).json()
    assert [m["value"] for m in qualified["members"]] == [member["id"]]
    name_only = scim.get(f"/Groups/{gid}", params={"attributes": "displayName"}).json()
    assert set(name_only) == ALWAYS | {"displayName"}
    assert name_only["schemas"] == [CORE_GROUP]
    without = scim.get("/Groups", params={"filter": f'id eq "{gid}"', "excludedAttributes": "members"}).json()
    assert "members" not in without["Resources"][0]
    assert without["Resources"][0]["displayName"] == f"g-{member['id']}"


def test_post_applies_attributes_to_its_response(scim: httpx.Client) -> None:
    response = scim.post("/Users", params={"attributes": "userName"}, json=entra_user())
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == ALWAYS | {"userName"}
    assert response.headers["location"] == created["meta"]["location"]
    assert response.headers["etag"] == created["meta"]["version"]
    assert _get(scim, created["id"])["meta"]["version"] == created["meta"]["version"], "the ETag of the whole user"


def test_post_applies_excluded_attributes_to_its_response(scim: httpx.Client) -> None:
    response = scim.post("/Users", params={"excludedAttributes": f"{ECMA},emails"}, json=entra_user())
    assert response.status_code == 201, response.text
    created = response.json()
    assert ECMA not in created
    assert "emails" not in created
    assert created["userName"]
    assert ECMA not in created["schemas"]


def test_patch_applies_attributes_to_its_response(scim: httpx.Client) -> None:
    user = create_user(scim)
    operation = {"op": "Replace", "path": "name.givenName", "value": "Patched"}
    response = scim.patch(f"/Users/{user['id']}", params={"attributes": "name.givenName"}, json=patch(operation))
    assert response.status_code == 200, response.text
    assert response.json()["name"] == {"givenName": "Patched"}
    assert set(response.json()) == ALWAYS | {"name"}
    excluded = scim.patch(
        f"/Users/{user['id']}", params={"excludedAttributes": ECMA}, json=patch({**operation, "value": "Again"})
    )
    assert excluded.status_code == 200, excluded.text
    assert ECMA not in excluded.json()
    assert excluded.json()["name"]["givenName"] == "Again"


def test_put_applies_attributes_to_its_response(scim: httpx.Client) -> None:
    user = create_user(scim)
    body = entra_user(user["userName"])
    response = scim.put(f"/Users/{user['id']}", params={"attributes": "userName,externalId"}, json=body)
    assert response.status_code == 200, response.text
    assert set(response.json()) == ALWAYS | {"userName", "externalId"}
    assert response.json()["externalId"] == body["externalId"]


def test_a_tenant_url_flag_alone_changes_no_response(scim: httpx.Client) -> None:
    response = scim.post("/Users?aadOptscim062020", json=entra_user())
    assert response.status_code == 201, response.text
    assert {"userName", "emails", "name", ECMA} <= set(response.json())
