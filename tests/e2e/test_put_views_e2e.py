"""PUT under each `views:` setting, through the real host over HTTPS on the demo schema, checked in the database:
`views: core` never touches what only the ECMA2Host extension would serve, `views: extension` clears what an
extension body omits (core-mapped columns included) and still leaves defaulted columns alone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import sql

from e2e_host import RunningHost
from entra_requests import CORE_USER, ECMA, ENTERPRISE, assert_error
from rfc_hosts import TARGETS, connector, database, fresh_database, rows, scim_client, serve

pytestmark = pytest.mark.e2e

COLUMNS = ("ContosoLogin", "FirstName", "Title", "NickName", "AzureID", "IsSoftDeleted", "Department")


@pytest.fixture(scope="module", params=TARGETS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningHost, str]]:
    home = tmp_path_factory.mktemp(f"put-views-{request.param}")
    with fresh_database(request.param, home) as url:
        host = serve(home, url, [connector("core", url, views="core"), connector("ext", url, views="extension")])
        yield host, url
        host.stop()


def stored(url: str, anchor: str) -> dict[str, Any]:
    return rows(url, "Employees", *COLUMNS, InternalGUID=anchor)[0]


def test_views_core_put_clears_core_attributes_and_never_touches_the_rest(served: tuple[RunningHost, str]) -> None:
    host, url = served
    login = f"core-{uuid.uuid4().hex[:10]}"
    with scim_client(host, "core") as scim:
        body = {
            "schemas": [CORE_USER, ENTERPRISE],
            "userName": login,
            "title": "Old",
            "nickName": "Nick",
            ENTERPRISE: {"department": "Sales"},
        }
        created = scim.post("/Users", json=body)
        assert created.status_code == 201, created.text
        anchor = created.json()["id"]
        table = sql.table("Employees", sql.column("InternalGUID"), sql.column("AzureID"))
        with database(url) as conn:  # a column the connector does not serve under views: core
            conn.execute(sql.update(table).where(table.c.InternalGUID == anchor).values(AzureID="kept"))
            conn.commit()
        replaced = scim.put(f"/Users/{anchor}", json={"schemas": [CORE_USER], "userName": login, "title": "New"})
        assert replaced.status_code == 200, replaced.text
        assert ECMA not in replaced.json()
        row = stored(url, anchor)
        assert (row["Title"], row["NickName"], row["AzureID"]) == ("New", None, "kept")
        assert row["Department"] == "Sales", "the body does not list the enterprise extension"
        refused = scim.put(f"/Users/{anchor}", json={"schemas": [CORE_USER, ECMA], "userName": login})
        assert_error(refused, 400, "invalidSyntax")


def test_views_extension_put_clears_what_the_extension_body_omits(served: tuple[RunningHost, str]) -> None:
    host, url = served
    login = f"ext-{uuid.uuid4().hex[:10]}"
    with scim_client(host, "ext") as scim:
        values = {"ContosoLogin": login, "FirstName": "Ann", "Title": "Old", "AzureID": "az", "IsSoftDeleted": True}
        created = scim.post("/Users", json={"schemas": [CORE_USER, ECMA], ECMA: values})
        assert created.status_code == 201, created.text
        anchor = created.json()["id"]
        body = {"schemas": [CORE_USER, ECMA], ECMA: {"ContosoLogin": login, "Title": "New"}}
        replaced = scim.put(f"/Users/{anchor}", json=body)
        assert replaced.status_code == 200, replaced.text
        row = stored(url, anchor)
        assert (row["Title"], row["FirstName"], row["AzureID"]) == ("New", None, None)
        assert row["IsSoftDeleted"], "NOT NULL with a default: left alone"
        missing = scim.put(f"/Users/{anchor}", json={"schemas": [CORE_USER, ECMA], ECMA: {"Title": "X"}})
        assert "ContosoLogin" in assert_error(missing, 400, "invalidValue")["detail"]
        assert stored(url, anchor)["Title"] == "New"


def test_a_put_body_without_the_extension_under_views_extension_changes_nothing_it_does_not_name(
    served: tuple[RunningHost, str],
) -> None:
    host, url = served
    login = f"ext0-{uuid.uuid4().hex[:10]}"
    with scim_client(host, "ext") as scim:
        created = scim.post("/Users", json={"schemas": [CORE_USER, ECMA], ECMA: {"ContosoLogin": login, "Title": "T"}})
        assert created.status_code == 201, created.text
        anchor = created.json()["id"]
        response = scim.put(f"/Users/{anchor}", json={"schemas": [CORE_USER]})
        assert response.status_code == 200, response.text
        assert stored(url, anchor)["Title"] == "T", "the body asserts no view this connector serves"
