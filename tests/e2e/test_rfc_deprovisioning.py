"""Every deprovisioning mode, `disable` and `delete` each in {delete, set, nothing}, driven by Entra's own requests
(the PATCH of `active` to the string "False", then DELETE) on the real host over HTTPS, and checked in the target
database itself: the row gone, the flag set, or the row unchanged. On SQLite, PostgreSQL and MariaDB.

As in Microsoft's ECMA host, `active` is not mapped to a column here: what a disable does is the connector's
deprovisioning setting alone."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from entra_requests import create_user, patch
from rfc_hosts import TARGETS, connector, fresh_database, rows, scim_client, serve

pytestmark = pytest.mark.e2e

DISABLE = {"delete": "delete", "set": {"set": {"Active": False}}, "nothing": "nothing"}
DELETE = {"delete": "delete", "set": {"set": {"IsSoftDeleted": True}}, "nothing": "nothing"}
MODES = list(itertools.product(DISABLE, DELETE))


def _name(disable: str, delete: str) -> str:
    return f"disable-{disable}-delete-{delete}"


def _connector(disable: str, delete: str, url: str) -> dict[str, Any]:
    raw = connector(_name(disable, delete), url)
    user = raw["object_types"]["User"]
    user["attributes"]["Active"] = {"type": "boolean"}  # selected, but not `active`: the flow decides
    user["deprovisioning"] = {"disable": DISABLE[disable], "delete": DELETE[delete]}
    return raw


@pytest.fixture(scope="module", params=TARGETS)
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    home = tmp_path_factory.mktemp(f"deprovisioning-{request.param}")
    with fresh_database(request.param, home) as url:
        host = serve(home, url, [_connector(disable, delete, url) for disable, delete in MODES])
        try:
            yield host, url
        finally:
            host.stop()


@pytest.fixture(params=MODES, ids=[_name(*mode) for mode in MODES])
def mode(request: pytest.FixtureRequest, target: tuple[Any, str]) -> Iterator[tuple[str, str, httpx.Client, str]]:
    disable, delete = request.param
    with scim_client(target[0], _name(disable, delete)) as scim:
        yield disable, delete, scim, target[1]


COLUMNS = ("InternalGUID", "ContosoLogin", "Active", "IsSoftDeleted", "ModifiedAt")


def _row(url: str, uid: str) -> dict[str, Any] | None:
    found = rows(url, "Employees", *COLUMNS, InternalGUID=uid)
    assert len(found) <= 1
    return found[0] if found else None


def _flags(row: dict[str, Any] | None) -> tuple[bool, bool] | None:
    return None if row is None else (bool(row["Active"]), bool(row["IsSoftDeleted"]))


def test_entra_disable_does_what_the_disable_flow_says(mode: tuple[str, str, httpx.Client, str]) -> None:
    disable, _, scim, url = mode
    user = create_user(scim)
    before = _row(url, user["id"])
    assert _flags(before) == (True, False)
    response = scim.patch(f"/Users/{user['id']}", json=patch({"op": "Replace", "path": "active", "value": "False"}))
    after = _row(url, user["id"])
    if disable == "delete":
        assert response.status_code == 204, response.text
        assert after is None, "the row is deleted"
        assert scim.get(f"/Users/{user['id']}").status_code == 404
    elif disable == "set":
        assert response.status_code == 200, response.text
        assert _flags(after) == (False, False), "Active is set to false, nothing else"
        assert after is not None
        assert after["ContosoLogin"] == user["userName"]
    else:
        assert response.status_code == 200, response.text
        assert after == before, "the row is unchanged"


@pytest.mark.parametrize("disable", ["set", "nothing"])
def test_entra_enable_reverses_a_set_disable(target: tuple[Any, str], disable: str) -> None:
    with scim_client(target[0], _name(disable, "delete")) as scim:
        user = create_user(scim)
        for value, active in (("False", disable == "nothing"), ("True", True)):
            operation = {"op": "Replace", "path": "active", "value": value}
            assert scim.patch(f"/Users/{user['id']}", json=patch(operation)).status_code == 200
            assert _flags(_row(target[1], user["id"])) == (active, False), value


def test_entra_delete_does_what_the_delete_flow_says(mode: tuple[str, str, httpx.Client, str]) -> None:
    _, delete, scim, url = mode
    user = create_user(scim)
    before = _row(url, user["id"])
    response = scim.delete(f"/Users/{user['id']}")
    assert response.status_code == 204, response.text
    after = _row(url, user["id"])
    if delete == "delete":
        assert after is None, "the row is deleted"
        assert scim.get(f"/Users/{user['id']}").status_code == 404
    elif delete == "set":
        assert _flags(after) == (True, True), "IsSoftDeleted is set, nothing else"
        assert scim.get(f"/Users/{user['id']}").status_code == 200
    else:
        assert after == before, "the row is unchanged"
        assert scim.get(f"/Users/{user['id']}").status_code == 200


def test_a_disabled_user_then_deleted_ends_as_both_flows_say(mode: tuple[str, str, httpx.Client, str]) -> None:
    """Entra's own sequence: disable when unassigned (a soft delete), DELETE 30 days later."""
    disable, delete, scim, url = mode
    user = create_user(scim)
    scim.patch(f"/Users/{user['id']}", json=patch({"op": "Replace", "path": "active", "value": "False"}))
    response = scim.delete(f"/Users/{user['id']}")
    after = _row(url, user["id"])
    if disable == "delete":
        assert response.status_code == 404, "the disable deleted it already"
        assert after is None
    elif delete == "delete":
        assert response.status_code == 204
        assert after is None
    else:
        assert response.status_code == 204
        assert _flags(after) == (disable != "set", delete == "set")
