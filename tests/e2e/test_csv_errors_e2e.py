"""What a CSV connector refuses reaches the SCIM client as an error naming the attribute or member: the real host
over HTTPS on the CSV example connector."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from e2e_connectors import ConnectorHost, example, start_connector_host
from e2e_host import TOKEN
from support.scim_errors import refused

pytestmark = pytest.mark.e2e

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConnectorHost]:
    home: Path = tmp_path_factory.mktemp("csv-errors-home")
    running = start_connector_host(home, example("csv/people.yaml"))
    yield running
    running.stop()


@pytest.fixture
def scim(host: ConnectorHost) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=host.tenant_url, headers=headers, verify=host.tls(), timeout=30) as client:
        yield client


def _user(scim: httpx.Client) -> dict[str, Any]:
    response = scim.post("/Users", json={"schemas": [CORE_USER], "userName": f"csv-{uuid.uuid4().hex[:10]}"})
    assert response.status_code == 201, response.text
    return response.json()


def test_members_that_name_no_object_are_400_naming_them_on_post_patch_and_put(scim: httpx.Client) -> None:
    user = _user(scim)
    name = f"csv-{uuid.uuid4().hex[:10]}"
    body = {"schemas": [CORE_GROUP], "displayName": name, "members": [{"value": user["id"]}, {"value": "nobody-1"}]}
    detail = refused(scim.post("/Groups", json=body), 400, "invalidValue")
    assert "members: no " in detail
    assert "'nobody-1'" in detail
    assert user["id"] not in detail
    assert scim.get("/Groups", params={"filter": f'displayName eq "{name}"'}).json()["totalResults"] == 0

    created = scim.post(
        "/Groups", json={"schemas": [CORE_GROUP], "displayName": name, "members": [{"value": user["id"]}]}
    )
    assert created.status_code == 201, created.text
    group = created.json()
    add = {"op": "Add", "path": "members", "value": [{"value": "nobody-2"}, {"value": "nobody-3"}]}
    detail = refused(
        scim.patch(f"/Groups/{group['id']}", json={"schemas": [PATCH], "Operations": [add]}), 400, "invalidValue"
    )
    assert "'nobody-2', 'nobody-3'" in detail
    replace = {"schemas": [CORE_GROUP], "displayName": name, "members": [{"value": "nobody-4"}]}
    assert "'nobody-4'" in refused(scim.put(f"/Groups/{group['id']}", json=replace), 400, "invalidValue")
    members = scim.get(f"/Groups/{group['id']}").json().get("members", [])
    assert [m["value"] for m in members] == [user["id"]], "nothing was written"


def test_a_taken_unique_value_is_409_naming_the_scim_path(scim: httpx.Client) -> None:
    user = _user(scim)
    detail = refused(
        scim.post("/Users", json={"schemas": [CORE_USER], "userName": user["userName"]}), 409, "uniqueness"
    )
    assert "userName (target attribute Login)" in detail
