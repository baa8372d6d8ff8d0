"""`limits.max_members_per_patch` on the real host over HTTPS, on SQLite, PostgreSQL and MariaDB: a PATCH, a
POST /Groups or a PUT with more member changes than the limit answers 400 `tooMany` with a SCIM error and writes
nothing (checked in the target's link table and group table); at the limit, it goes through."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from entra_requests import CORE_GROUP, assert_error, create_user, patch
from rfc_hosts import TARGETS, connector, fresh_database, rows, scim_client, serve

pytestmark = pytest.mark.e2e

LIMIT = 3
NAME = "members"


@pytest.fixture(scope="module", params=TARGETS)
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    home = tmp_path_factory.mktemp(f"members-{request.param}")
    with fresh_database(request.param, home) as url:
        host = serve(home, url, [connector(NAME, url, limits={"max_members_per_patch": LIMIT})])
        try:
            yield host, url
        finally:
            host.stop()


@pytest.fixture
def scim(target: tuple[Any, str]) -> Iterator[httpx.Client]:
    with scim_client(target[0], NAME) as client:
        yield client


@pytest.fixture
def url(target: tuple[Any, str]) -> str:
    return target[1]


def _users(scim: httpx.Client, count: int) -> list[str]:
    return [create_user(scim)["id"] for _ in range(count)]


def _group(scim: httpx.Client, members: list[str] | None = None) -> tuple[str, str]:
    name = f"group-{uuid.uuid4()}"
    body: dict[str, Any] = {"schemas": [CORE_GROUP], "displayName": name}
    if members:
        body["members"] = [{"value": m} for m in members]
    response = scim.post("/Groups", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"], name


def _stored_members(url: str, gid: str) -> set[str]:
    return {row["MemberGUID"] for row in rows(url, "GroupMembers", "MemberGUID", GroupGUID=gid)}


def _too_many(response: httpx.Response) -> None:
    body = assert_error(response, 400, "tooMany")
    assert str(LIMIT) in body["detail"]


@pytest.mark.parametrize(
    "shape",
    [
        lambda values: {"op": "Add", "path": "members", "value": values},
        lambda values: {"op": "replace", "path": "members", "value": values},
        lambda values: {"op": "Replace", "value": {"members": values}},
    ],
    ids=["add", "replace", "path-less-replace"],
)
def test_a_patch_over_the_limit_is_refused_and_writes_nothing(scim: httpx.Client, url: str, shape: Any) -> None:
    users = _users(scim, LIMIT + 1)
    gid, _ = _group(scim)
    _too_many(scim.patch(f"/Groups/{gid}", json=patch(shape([{"value": u} for u in users]))))
    assert _stored_members(url, gid) == set()


def test_the_limit_counts_every_operation_of_one_patch(scim: httpx.Client, url: str) -> None:
    users = _users(scim, LIMIT + 1)
    gid, name = _group(scim, users[:2])
    operations = [
        {"op": "Replace", "path": "displayName", "value": f"{name}-renamed"},
        {"op": "Add", "path": "members", "value": [{"value": users[2]}, {"value": users[3]}]},
        {"op": "Remove", "path": f'members[value eq "{users[0]}"]'},
        {"op": "Remove", "path": "members", "value": [{"value": users[1]}]},
    ]
    _too_many(scim.patch(f"/Groups/{gid}", json=patch(*operations)))
    assert _stored_members(url, gid) == set(users[:2])
    assert [row["DisplayName"] for row in rows(url, "Groups", "DisplayName", GroupGUID=gid)] == [name]


def test_a_patch_at_the_limit_goes_through(scim: httpx.Client, url: str) -> None:
    users = _users(scim, LIMIT)
    gid, _ = _group(scim)
    add = {"op": "Add", "path": "members", "value": [{"value": u} for u in users]}
    assert scim.patch(f"/Groups/{gid}", json=patch(add)).status_code == 204
    assert _stored_members(url, gid) == set(users)


def test_a_post_with_more_members_than_the_limit_creates_no_group(scim: httpx.Client, url: str) -> None:
    users = _users(scim, LIMIT + 1)
    name = f"group-{uuid.uuid4()}"
    body = {"schemas": [CORE_GROUP], "displayName": name, "members": [{"value": u} for u in users]}
    _too_many(scim.post("/Groups", json=body))
    assert rows(url, "Groups", "GroupGUID", DisplayName=name) == []
    assert rows(url, "GroupMembers", "GroupGUID", MemberGUID=users[0]) == []
    found = scim.get("/Groups", params={"filter": f'displayName eq "{name}"'}).json()
    assert found["totalResults"] == 0


def test_a_put_with_more_members_than_the_limit_changes_nothing(scim: httpx.Client, url: str) -> None:
    users = _users(scim, LIMIT + 1)
    gid, name = _group(scim, users[:1])
    body = {"schemas": [CORE_GROUP], "displayName": f"{name}-put", "members": [{"value": u} for u in users]}
    _too_many(scim.put(f"/Groups/{gid}", json=body))
    assert _stored_members(url, gid) == {users[0]}
    assert [row["DisplayName"] for row in rows(url, "Groups", "DisplayName", GroupGUID=gid)] == [name]
