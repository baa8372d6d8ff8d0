"""The Entra request sequence of shared/entra-scim-contract.md through the real host over HTTPS, against the CSV,
script (Python worker and shell per request) and REST connectors, each configured from its example file in
examples/ (the ones docs/ walk through)."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from ecmahost.cli.main import app

from e2e_connectors import EXAMPLES, ConnectorHost, example, json_server_available, rest_target, start_connector_host
from entra_requests import (
    CORE_GROUP,
    ECMA,
    ENTERPRISE,
    LIST,
    assert_error,
    create_user,
    entra_user,
    patch,
)

pytestmark = pytest.mark.e2e


def _csv(home: Any) -> dict[str, Any]:
    return example("csv/people.yaml")


def _python_script(home: Any) -> dict[str, Any]:
    raw = example("scripts/python/connector.yaml")
    connection = raw["connection"]
    connection["command"] = [sys.executable, *connection["command"][1:]]
    connection["working_directory"] = str(EXAMPLES / "scripts" / "python")
    connection["parameters"] = {"DATA_FILE": str(home / "users.json")}
    return raw


def _shell_script(home: Any) -> dict[str, Any]:
    raw = example("scripts/shell/connector.yaml")
    raw["connection"]["working_directory"] = str(EXAMPLES / "scripts" / "shell")
    raw["connection"]["parameters"] = {"DATA_DIR": str(home / "data")}
    return raw


CONNECTORS = {"csv": _csv, "script-python": _python_script, "script-shell": _shell_script, "rest": None}


@pytest.fixture(scope="module", params=list(CONNECTORS))
def host(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConnectorHost]:
    home = tmp_path_factory.mktemp(f"home-{request.param}")
    if request.param != "rest":
        running = start_connector_host(home, CONNECTORS[request.param](home))
        yield running
        running.stop()
        return
    if not json_server_available():
        if os.environ.get("ECMAHOST_TEST_REQUIRE_DATABASES"):
            pytest.fail("json-server is missing: run scripts/ensure-json-server.sh")
        pytest.skip("json-server is missing: run scripts/ensure-json-server.sh")
    with rest_target() as root:
        raw = example("rest/connector.yaml")
        raw["connection"] = {"base_url": f"{root}/open", "timeout_seconds": 20}
        running = start_connector_host(home, raw)
        yield running
        running.stop()


@pytest.fixture
def scim(host: ConnectorHost) -> Iterator[httpx.Client]:
    with host.client() as client:
        yield client


def test_test_connection_query_gets_the_exact_empty_list(scim: httpx.Client) -> None:
    response = scim.get("/Users", params={"filter": f'userName eq "{uuid.uuid4()}"'})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    assert response.json() == {
        "schemas": [LIST],
        "totalResults": 0,
        "Resources": [],
        "startIndex": 1,
        "itemsPerPage": 0,
    }


def test_create_then_get_returns_the_stored_user(scim: httpx.Client, host: ConnectorHost) -> None:
    body = entra_user()
    response = scim.post("/Users", json=body)
    assert response.status_code == 201, response.text
    user = response.json()
    assert user["userName"] == body["userName"]
    assert user["externalId"] == body["externalId"]
    assert user["active"] is True
    assert user["emails"] == [{"type": "work", "value": body["emails"][0]["value"]}]
    assert user["name"] == {"givenName": "givenName", "familyName": "familyName"}
    assert user["meta"]["location"].endswith(f"/ecma2host_{host.connector}/scim/Users/{user['id']}")
    assert user[ECMA]["Login"] == body["userName"]
    assert scim.get(f"/Users/{user['id']}").json()["userName"] == body["userName"]
    assert_error(scim.get(f"/Users/{uuid.uuid4()}"), 404)


@pytest.mark.parametrize(
    "make_filter",
    [
        lambda u: f'userName eq "{u["userName"]}"',
        lambda u: f'userName eq "{u["userName"].upper()}"',
        lambda u: f'externalId eq "{u["externalId"]}"',
        lambda u: f'emails[type eq "work"].value eq "{u["emails"][0]["value"]}"',
        lambda u: f'{ECMA}:Login eq "{u["userName"]}"',
        lambda u: f'userName eq "{u["userName"]}" and active eq true',
    ],
    ids=["userName", "userName-case", "externalId", "work-email", "ecma-extension", "and"],
)
def test_match_queries_find_exactly_the_user(scim: httpx.Client, make_filter: Any) -> None:
    user = create_user(scim)
    body = scim.get("/Users", params={"filter": make_filter(user)}).json()
    assert (body["totalResults"], [r["id"] for r in body["Resources"]]) == (1, [user["id"]])


def test_patch_disable_enable_and_pathless_replace(scim: httpx.Client) -> None:
    user = create_user(scim)
    manager = create_user(scim)
    response = scim.patch(
        f"/Users/{user['id']}",
        json=patch(
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "updated@example.com"},
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
            {"op": "Add", "path": "nickName", "value": "Babs"},
            {"op": "Add", "path": "manager", "value": [{"$ref": "https://x/Users/m", "value": manager["id"]}]},
        ),
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["emails"] == [{"type": "work", "value": "updated@example.com"}]
    assert updated["name"]["familyName"] == "updatedFamilyName"
    assert updated["nickName"] == "Babs"
    assert updated[ENTERPRISE]["manager"]["value"] == manager["id"]
    disabled = scim.patch(f"/Users/{user['id']}", json=patch({"op": "Replace", "path": "active", "value": "False"}))
    assert disabled.json()["active"] is False
    found = scim.get("/Users", params={"filter": f'userName eq "{user["userName"]}"'}).json()
    assert found["totalResults"] == 1, "filter responses include inactive users"
    value = {"displayName": "A", "name.givenName": "B", f"{ENTERPRISE}:employeeNumber": "7"}
    replaced = scim.patch(f"/Users/{user['id']}", json=patch({"op": "replace", "value": value})).json()
    assert (replaced["displayName"], replaced["name"]["givenName"], replaced[ENTERPRISE]["employeeNumber"]) == (
        "A",
        "B",
        "7",
    )


def test_a_retried_create_is_409_uniqueness_and_delete_is_204(scim: httpx.Client) -> None:
    user = create_user(scim)
    assert_error(scim.post("/Users", json=entra_user(user["userName"])), 409, "uniqueness")
    assert scim.delete(f"/Users/{user['id']}").status_code == 204
    assert_error(scim.get(f"/Users/{user['id']}"), 404)


def test_group_lifecycle_as_entra_sends_it(scim: httpx.Client) -> None:
    users = [create_user(scim) for _ in range(3)]
    name = f"group-{uuid.uuid4()}"
    response = scim.post(
        "/Groups", json={"schemas": [CORE_GROUP], "externalId": str(uuid.uuid4()), "displayName": name}
    )
    assert response.status_code == 201, response.text
    gid = response.json()["id"]
    assert "members" not in scim.get(f"/Groups/{gid}", params={"excludedAttributes": "members"}).json()
    found = scim.get("/Groups", params={"excludedAttributes": "members", "filter": f'displayName eq "{name}"'}).json()
    assert found["totalResults"] == 1
    add = {"op": "Add", "path": "members", "value": [{"$ref": None, "value": u["id"]} for u in users]}
    assert scim.patch(f"/Groups/{gid}", json=patch(add)).status_code == 204
    assert {m["value"] for m in scim.get(f"/Groups/{gid}").json()["members"]} == {u["id"] for u in users}
    remove = {"op": "Remove", "path": "members", "value": [{"value": users[0]["id"]}]}
    assert scim.patch(f"/Groups/{gid}", json=patch(remove)).status_code == 204
    flagged = {"op": "remove", "path": f'members[value eq "{users[1]["id"]}"]'}
    assert scim.patch(f"/Groups/{gid}", json=patch(flagged)).status_code == 204
    assert [m["value"] for m in scim.get(f"/Groups/{gid}").json()["members"]] == [users[2]["id"]]
    renamed = scim.patch(f"/Groups/{gid}", json=patch({"op": "Replace", "path": "displayName", "value": name + "-2"}))
    assert renamed.status_code == 204
    assert scim.delete(f"/Groups/{gid}").status_code == 204
    assert_error(scim.get(f"/Groups/{gid}"), 404)


def test_schemas_list_the_selected_attributes(scim: httpx.Client) -> None:
    body = scim.get("/Schemas").json()
    extension = next(r for r in body["Resources"] if r["id"] == ECMA)
    assert {"Login", "FirstName", "LastName", "Email", "Active"} <= {a["name"] for a in extension["attributes"]}


def test_connector_types_lists_each_installed_type_with_its_version() -> None:
    result = CliRunner().invoke(app, ["connector", "types"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") >= 4}
    assert {"csv", "script", "rest", "sql"} <= set(rows)
    assert "1.0" in rows["rest"]
    assert "ecmahost" in rows["csv"]
