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
