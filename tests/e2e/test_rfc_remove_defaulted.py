"""PATCH `remove` of an attribute whose column is NOT NULL with a default (the demo's `Active` and
`IsSoftDeleted`) makes it unassigned the only way such a column allows: it gets the column's declared default,
as a new row would (RFC 7644 §3.5.2.2). scim2-tester's check_remove_attribute does exactly this. Over HTTPS on
SQLite, PostgreSQL and MariaDB, checked in the rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from entra_requests import create_user, patch
from rfc_hosts import TARGETS, connector, fresh_database, rows, scim_client, serve

pytestmark = pytest.mark.e2e

ECMA_USER = "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:User"


@pytest.fixture(scope="module", params=TARGETS)
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    home = tmp_path_factory.mktemp(f"remove-{request.param}")
    with fresh_database(request.param, home) as url:
        host = serve(home, url, [connector("demo", url)])
        try:
            yield host, url
        finally:
            host.stop()


@pytest.fixture
def scim(target: tuple[Any, str]) -> Iterator[httpx.Client]:
    with scim_client(target[0], "demo") as client:
        yield client


def _flags(url: str, uid: str) -> tuple[bool, bool]:
    (row,) = rows(url, "Employees", "Active", "IsSoftDeleted", InternalGUID=uid)
    return bool(row["Active"]), bool(row["IsSoftDeleted"])


def test_removing_a_defaulted_attribute_writes_its_default(scim: httpx.Client, target: tuple[Any, str]) -> None:
    url = target[1]
    uid = create_user(scim)["id"]
    changed = scim.patch(
        f"/Users/{uid}",
        json=patch(
            {"op": "replace", "path": "active", "value": False},
            {"op": "replace", "path": f"{ECMA_USER}:IsSoftDeleted", "value": True},
        ),
    )
    assert changed.status_code == 200, changed.text
    assert _flags(url, uid) == (False, True)

    removed = scim.patch(
        f"/Users/{uid}",
        json=patch({"op": "remove", "path": "active"}, {"op": "remove", "path": f"{ECMA_USER}:IsSoftDeleted"}),
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["active"] is True
    assert removed.json()[ECMA_USER]["IsSoftDeleted"] is False
    assert _flags(url, uid) == (True, False)
    assert scim.get(f"/Users/{uid}").json()["active"] is True


def test_an_explicit_null_on_create_leaves_the_default_to_the_database(
    scim: httpx.Client, target: tuple[Any, str]
) -> None:
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "nulls@example.org",
        "active": None,
    }
    created = scim.post("/Users", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["active"] is True
    assert _flags(target[1], created.json()["id"]) == (True, False)
