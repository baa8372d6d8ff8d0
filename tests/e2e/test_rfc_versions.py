"""The ETag a GET returns is the version PATCH and DELETE compare `If-Match` with (RFC 7644 §3.14), for a group
too: its version covers its members, as GET returns them. On SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import uuid

import httpx
import pytest

from entra_requests import CORE_GROUP, assert_error, create_user, patch

pytestmark = pytest.mark.e2e


def _group(scim: httpx.Client) -> str:
    member = create_user(scim)
    body = {"schemas": [CORE_GROUP], "displayName": f"v-{uuid.uuid4()}", "members": [{"value": member["id"]}]}
    response = scim.post("/Groups", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_a_group_patch_with_the_etag_of_its_get_goes_through(scim: httpx.Client) -> None:
    gid = _group(scim)
    etag = scim.get(f"/Groups/{gid}").headers["etag"]
    rename = patch({"op": "Replace", "path": "displayName", "value": f"renamed-{gid}"})
    assert scim.patch(f"/Groups/{gid}", json=rename, headers={"If-Match": etag}).status_code == 204
    assert_error(scim.patch(f"/Groups/{gid}", json=rename, headers={"If-Match": etag}), 412)


def test_a_group_delete_with_the_etag_of_its_get_goes_through(scim: httpx.Client) -> None:
    gid = _group(scim)
    etag = scim.get(f"/Groups/{gid}").headers["etag"]
    assert_error(scim.delete(f"/Groups/{gid}", headers={"If-Match": 'W/"stale"'}), 412)
    assert scim.delete(f"/Groups/{gid}", headers={"If-Match": etag}).status_code == 204
    assert scim.get(f"/Groups/{gid}").status_code == 404


def test_a_member_change_changes_the_group_version(scim: httpx.Client) -> None:
    gid = _group(scim)
    etag = scim.get(f"/Groups/{gid}").headers["etag"]
    other = create_user(scim)
    add = patch({"op": "Add", "path": "members", "value": [{"value": other["id"]}]})
    assert scim.patch(f"/Groups/{gid}", json=add).status_code == 204
    assert scim.get(f"/Groups/{gid}").headers["etag"] != etag
    assert_error(scim.delete(f"/Groups/{gid}", headers={"If-Match": etag}), 412)


def test_a_group_read_without_its_members_has_no_version_to_mismatch(scim: httpx.Client) -> None:
    """The version covers the members; a representation read without them (Entra's excludedAttributes=members,
    attributes= without members, such a list) carries neither meta.version nor ETag, so no client can send an
    If-Match that fails although nothing changed. The full GET's ETag still guards the write."""
    gid = _group(scim)
    full = scim.get(f"/Groups/{gid}")
    for projection in ({"excludedAttributes": "members"}, {"attributes": "displayName"}):
        partial = scim.get(f"/Groups/{gid}", params=projection)
        assert partial.status_code == 200, partial.text
        assert "etag" not in partial.headers
        assert "version" not in partial.json()["meta"]
        listed = scim.get("/Groups", params={"filter": f'id eq "{gid}"', **projection}).json()["Resources"]
        assert [r["id"] for r in listed] == [gid]
        assert "version" not in listed[0]["meta"]
    listed_full = scim.get("/Groups", params={"filter": f'id eq "{gid}"'}).json()["Resources"][0]
    assert listed_full["meta"]["version"] == full.headers["etag"] == full.json()["meta"]["version"]
    rename = patch({"op": "Replace", "path": "displayName", "value": f"renamed-{gid}"})
    assert scim.patch(f"/Groups/{gid}", json=rename, headers={"If-Match": full.headers["etag"]}).status_code == 204


def test_a_users_version_is_the_same_under_any_projection(scim: httpx.Client) -> None:
    uid = create_user(scim)["id"]
    full = scim.get(f"/Users/{uid}").headers["etag"]
    assert scim.get(f"/Users/{uid}?attributes=userName").headers["etag"] == full
    assert scim.get(f"/Users/{uid}?excludedAttributes=name,emails").headers["etag"] == full
