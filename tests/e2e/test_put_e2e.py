"""PUT (RFC 7644 §3.5.1) through the real host over HTTPS on SQLite, PostgreSQL, MariaDB (the demo schema), CSV,
LDAP (slapd), a Python script and a REST API (json-server), each result checked in the target itself: what the body
covers is replaced, what it omits is cleared only where the body's views reach and the target allows, unmapped and
defaulted attributes are left alone, id/anchor changes are 400 `mutability`, a stale If-Match 412, and a group's
members are replaced whole or, on a bad member, not at all."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from e2e_connectors import json_server_available
from e2e_host import RunningHost
from entra_requests import CORE_GROUP, CORE_USER, ECMA, ENTERPRISE, assert_error
from put_targets import PutTarget, csv_target, ldap_target, rest_put_target, script_target, sql_target

pytestmark = pytest.mark.e2e

TARGETS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
    "csv",
    pytest.param("ldap", marks=pytest.mark.ldap),
    "script",
    "rest",
]
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module", params=TARGETS)
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PutTarget]:
    home = tmp_path_factory.mktemp(f"put-{request.param}")
    if request.param == "csv":
        made = csv_target(home)
    elif request.param == "script":
        made = script_target(home)
    elif request.param == "rest":
        if not json_server_available():
            pytest.skip("json-server is missing: run scripts/ensure-json-server.sh")
        made = rest_put_target(home)
    elif request.param == "ldap":
        made = ldap_target(home, request.getfixturevalue("ldap_server"))
    else:
        url = None if request.param == "sqlite" else request.getfixturevalue(f"{request.param}_url")
        made = sql_target(home, url)
    yield made
    made.stop()


@pytest.fixture
def scim(target: PutTarget) -> Iterator[httpx.Client]:
    host: RunningHost = target.host
    with host.client() as client:
        yield client


def create_user(scim: httpx.Client, t: PutTarget) -> dict[str, Any]:
    login = f"put-{uuid.uuid4().hex[:12]}"
    extension: dict[str, Any] = {t.columns["extension_only"]: t.extension_only}
    if t.defaulted:
        extension[t.defaulted] = True
    body: dict[str, Any] = {
        "schemas": [CORE_USER, ENTERPRISE, ECMA],
        "userName": login,
        "name": {"givenName": "Given", "familyName": "Family"},
        "emails": [{"type": "work", "value": f"{login}@example.org"}],
        "displayName": f"{login} shown",
        "title": "Old title",
        t.omitted[0]: t.omitted[1],
        ENTERPRISE: {"employeeNumber": "7"},
        ECMA: extension,
    }
    if t.defaulted:  # the demo: a phone number in the child table, to see a PUT replace child rows
        body["phoneNumbers"] = [{"type": "work", "value": "+1 555 0199"}]
    response = scim.post("/Users", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def complete_core_body(t: PutTarget, user: dict[str, Any]) -> dict[str, Any]:
    """A complete core user, as Okta or scim-sanity send it: core and enterprise schemas, no ECMA2Host view."""
    body: dict[str, Any] = {
        "schemas": [CORE_USER, ENTERPRISE],
        "id": user["id"],
        "userName": user["userName"],
        "name": {"givenName": "Given", "familyName": "Changed"},
        "emails": [{"type": "work", "value": f"{user['userName']}@example.org"}],
        "displayName": f"{user['userName']} shown",
        "title": "New title",
        "active": True,
        ENTERPRISE: {"employeeNumber": "42"},
    }
    body.pop(t.omitted[0], None)
    return body


def flat(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def test_put_of_a_complete_core_user_replaces_it_and_leaves_what_it_does_not_cover(
    scim: httpx.Client, target: PutTarget
) -> None:
    t = target
    user = create_user(scim, t)
    assert t.user_row(user["id"])[t.columns["omitted"]] is not None
    response = scim.put(f"/Users/{user['id']}", json=complete_core_body(t, user))
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert replaced["id"] == user["id"]
    assert replaced["title"] == "New title"
    assert replaced["name"]["familyName"] == "Changed"
    assert t.omitted[0] not in replaced
    assert response.headers["ETag"] == replaced["meta"]["version"]
    row = t.user_row(user["id"])
    assert row[t.columns["title"]] == "New title"
    assert row[t.columns["omitted"]] is None, "an absent core attribute is cleared"
    assert flat(row[t.columns["extension_only"]]) == t.extension_only, "extension-only: not in the body's views"
    assert row[t.columns["login"]] == user["userName"]
    if t.defaulted:
        assert row[t.defaulted], "NOT NULL with a default, extension-only: untouched"
        assert row["phones"] == [], "absent phoneNumbers: the child rows are replaced by none"
        assert row["EmployeeNumber"] == "42"
        assert row["CreatedAt"] is not None


def test_put_in_the_extension_view_clears_what_it_omits_except_defaulted_columns(
    scim: httpx.Client, target: PutTarget
) -> None:
    t = target
    user = create_user(scim, t)
    body = scim.get(f"/Users/{user['id']}").json()  # a client that reads, edits and writes back: both views
    del body["title"]
    del body[ECMA][t.columns["title"]]
    del body[ECMA][t.columns["extension_only"]]
    if t.defaulted:
        del body[ECMA][t.defaulted]
    response = scim.put(f"/Users/{user['id']}", json=body)
    assert response.status_code == 200, response.text
    assert "title" not in response.json()
    row = t.user_row(user["id"])
    assert row[t.columns["title"]] is None
    assert row[t.columns["extension_only"]] is None, "the body lists the ECMA2Host extension: its absent values go"
    assert row[t.columns["omitted"]] is not None, "still in the body"
    if t.defaulted:
        assert row[t.defaulted], "NOT NULL with a default: left alone, not reset"


def test_put_written_only_in_the_extension_view_leaves_core_mapped_attributes_it_omits(
    scim: httpx.Client, target: PutTarget
) -> None:
    t = target
    user = create_user(scim, t)
    extension = {t.columns["login"]: user["userName"], t.columns["extension_only"]: "changed"}
    response = scim.put(f"/Users/{user['id']}", json={"schemas": [CORE_USER, ECMA], ECMA: extension})
    assert response.status_code == 200, response.text
    row = t.user_row(user["id"])
    assert flat(row[t.columns["extension_only"]]) == "changed"
    assert row[t.columns["title"]] == "Old title", "served at a core path: only a core body clears it"
    assert row[t.columns["omitted"]] is not None


def test_put_that_changes_the_id_or_the_anchor_is_400_mutability_and_writes_nothing(
    scim: httpx.Client, target: PutTarget
) -> None:
    t = target
    user = create_user(scim, t)
    body = complete_core_body(t, user)
    other = str(uuid.uuid4())
    error = assert_error(scim.put(f"/Users/{user['id']}", json={**body, "id": other}), 400, "mutability")
    assert "id" in error["detail"]
    anchor = t.columns["anchor"]
    with_anchor = {**body, "schemas": [CORE_USER, ENTERPRISE, ECMA], ECMA: {anchor: other}}
    error = assert_error(scim.put(f"/Users/{user['id']}", json=with_anchor), 400, "mutability")
    assert anchor in error["detail"]
    assert t.user_row(user["id"])[t.columns["title"]] == "Old title"
    same = {**with_anchor, ECMA: {anchor: user["id"], t.columns["extension_only"]: t.extension_only}}
    assert scim.put(f"/Users/{user['id']}", json=same).status_code == 200, "the same id and anchor are fine"


def test_put_with_a_stale_if_match_is_412_and_a_current_one_succeeds(scim: httpx.Client, target: PutTarget) -> None:
    t = target
    user = create_user(scim, t)
    stale = scim.get(f"/Users/{user['id']}").headers["ETag"]
    body = complete_core_body(t, user)
    first = scim.put(f"/Users/{user['id']}", json=body, headers={"If-Match": stale})
    assert first.status_code == 200, first.text
    again = {**body, "title": "Third title"}
    assert_error(scim.put(f"/Users/{user['id']}", json=again, headers={"If-Match": stale}), 412)
    assert t.user_row(user["id"])[t.columns["title"]] == "New title"
    current = first.headers["ETag"]
    assert scim.put(f"/Users/{user['id']}", json=again, headers={"If-Match": current}).status_code == 200
    assert t.user_row(user["id"])[t.columns["title"]] == "Third title"


def test_put_without_a_required_attribute_is_400_naming_it(scim: httpx.Client, target: PutTarget) -> None:
    t = target
    user = create_user(scim, t)
    body = complete_core_body(t, user)
    if t.required_missing == "userName":
        del body["userName"]
    else:
        body["name"] = {"givenName": "Given"}
    error = assert_error(scim.put(f"/Users/{user['id']}", json=body), 400, "invalidValue")
    assert t.required_missing in error["detail"]
    assert t.user_row(user["id"])[t.columns["title"]] == "Old title"


def test_put_of_an_unknown_id_is_404(scim: httpx.Client, target: PutTarget) -> None:
    user = create_user(scim, target)
    assert_error(scim.put(f"/Users/{UNKNOWN}", json={**complete_core_body(target, user), "id": UNKNOWN}), 404)


def _group(scim: httpx.Client, members: list[str]) -> dict[str, Any]:
    body = {"schemas": [CORE_GROUP], "displayName": f"put-group-{uuid.uuid4().hex[:10]}"}
    response = scim.post("/Groups", json={**body, "members": [{"value": m} for m in members]})
    assert response.status_code == 201, response.text
    return response.json()


def test_put_of_a_group_replaces_its_members(scim: httpx.Client, target: PutTarget) -> None:
    t = target
    a, b, c = (create_user(scim, t)["id"] for _ in range(3))
    group = _group(scim, [a, b])
    assert t.group_members(group["id"]) == {a, b}
    etag = scim.get(f"/Groups/{group['id']}").headers["ETag"]
    body = {"schemas": [CORE_GROUP], "displayName": group["displayName"], "members": [{"value": b}, {"value": c}]}
    response = scim.put(f"/Groups/{group['id']}", json=body, headers={"If-Match": etag})
    assert response.status_code == 200, response.text
    assert {m["value"] for m in response.json()["members"]} == {b, c}
    assert t.group_members(group["id"]) == {b, c}
    renamed = {"schemas": [CORE_GROUP], "displayName": group["displayName"] + "-renamed"}
    response = scim.put(f"/Groups/{group['id']}", json=renamed)
    assert response.status_code == 200, response.text
    assert t.group_members(group["id"]) == set(), "a core body without members: the group has none"
    assert response.json()["displayName"] == renamed["displayName"]


def test_put_of_a_group_with_an_unknown_member_is_400_and_changes_nothing(
    scim: httpx.Client, target: PutTarget
) -> None:
    t = target
    if not t.members_must_exist:
        pytest.skip("the target stores any member id (the REST API of the example does)")
    a, b = (create_user(scim, t)["id"] for _ in range(2))
    group = _group(scim, [a])
    body = {
        "schemas": [CORE_GROUP],
        "displayName": group["displayName"] + "-renamed",
        "members": [{"value": b}, {"value": UNKNOWN}],
    }
    error = assert_error(scim.put(f"/Groups/{group['id']}", json=body), 400, "invalidValue")
    assert UNKNOWN in error["detail"], "the member that names no object is named"
    assert t.group_members(group["id"]) == {a}
    assert scim.get(f"/Groups/{group['id']}").json()["displayName"] == group["displayName"]


def test_put_with_a_new_user_name_changes_the_login_and_keeps_the_id(scim: httpx.Client, target: PutTarget) -> None:
    t = target
    user = create_user(scim, t)
    body = {**complete_core_body(t, user), "userName": user["userName"] + "-renamed"}
    response = scim.put(f"/Users/{user['id']}", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == user["id"]
    assert t.user_row(user["id"])[t.columns["login"]] == body["userName"]
    if t.columns["login"] == "uid":  # LDAP: uid names the entry, which is renamed
        assert response.json()[ECMA]["-dn-"].startswith(f"uid={body['userName']},")
