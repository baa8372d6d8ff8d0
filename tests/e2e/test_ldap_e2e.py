"""Entra's request sequence through the real host (`ecmahost serve`, HTTPS) against an LDAP connector on slapd:
match, create, read, default and `?aadOptscim062020` PATCH shapes (a userName change renames the entry, the id
stays), disable = delete, groups with member add/remove, uniqueness, passwords never returned."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home
from ecmahost.tls import generate_certificate

from e2e_host import STARTUP_SECONDS, RunningHost, free_port
from entra_requests import CORE_GROUP, ECMA, ENTERPRISE, patch
from entra_requests import entra_user as base_entra_user
from support.slapd import PASSWORD_ENV, PEOPLE, ROOT_PASSWORD, Slapd, connector_file

pytestmark = [pytest.mark.e2e, pytest.mark.ldap]

TOKEN = "ldap-e2e-secret-token-0123"
NAME = "OpenLDAP"


def _start(home: Path, server: Slapd) -> RunningHost:
    where = Home(home)
    store = ConnectorStore(where)
    store.save(connector_file(server, NAME))
    store.set_token(NAME, TOKEN)
    generate_certificate(where, hostnames=["localhost"])
    port = free_port()
    log = home.parent / f"{home.name}.log"
    env = {**os.environ, PASSWORD_ENV: ROOT_PASSWORD}
    command = [
        sys.executable,
        "-m",
        "ecmahost",
        "serve",
        "--home",
        str(home),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    host = RunningHost(process, home, port, log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the host exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{host.root}/health", verify=host.tls(), timeout=2).status_code == 200:
                return host
        except (httpx.HTTPError, OSError):
            time.sleep(0.2)
    host.stop()
    raise RuntimeError(f"the host did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def ldap_host(ldap_server: Slapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    host = _start(tmp_path_factory.mktemp("ldap-home"), ldap_server)
    yield host
    host.stop()


@pytest.fixture
def scim(ldap_host: RunningHost) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    base = f"{ldap_host.root}/ecma2host_{NAME}/scim"
    with httpx.Client(base_url=base, headers=headers, verify=ldap_host.tls(), timeout=30) as client:
        yield client


def entra_user(login: str | None = None) -> dict[str, Any]:
    """Entra's create body with an initial password, which the directory stores hashed and never returns."""
    user = base_entra_user(login or f"user-{uuid.uuid4()}")
    del user["addresses"], user["phoneNumbers"], user["manager"], user["meta"]
    user["password"] = "Initial-Pa55!"
    user["emails"][0]["value"] = user["userName"] + "@example.org"
    user["name"] = {"formatted": "Given Family", "familyName": "Family", "givenName": "Given"}
    return user


def create_user(scim: httpx.Client, login: str | None = None) -> dict[str, Any]:
    response = scim.post("/Users", json=entra_user(login))
    assert response.status_code == 201, response.text
    return response.json()


def test_dummy_user_query_returns_an_empty_list(scim: httpx.Client) -> None:
    response = scim.get("/Users", params={"filter": f'userName eq "{uuid.uuid4()}"'})
    assert response.status_code == 200
    assert response.json()["totalResults"] == 0
    assert response.json()["Resources"] == []


def test_create_returns_the_entry_with_its_entry_uuid_as_id_and_no_password(scim: httpx.Client) -> None:
    body = entra_user()
    response = scim.post("/Users", json=body)
    assert response.status_code == 201, response.text
    user = response.json()
    uuid.UUID(user["id"])
    assert user["userName"] == body["userName"]
    assert user["name"] == {"givenName": "Given", "familyName": "Family"}
    assert user["emails"] == [{"type": "work", "value": body["emails"][0]["value"]}]
    assert user[ECMA]["-dn-"] == f"uid={body['userName']},{PEOPLE}"
    assert user["meta"]["created"]
    assert "Initial-Pa55" not in response.text
    assert "password" not in user
    assert "userPassword" not in user[ECMA]
    assert "userPassword" not in scim.get(f"/Users/{user['id']}").json()[ECMA]


@pytest.mark.parametrize(
    "make_filter",
    [
        lambda u: f'userName eq "{u["userName"]}"',
        lambda u: f'userName eq "{u["userName"].upper()}"',
        lambda u: f'emails[type eq "work"].value eq "{u["emails"][0]["value"]}"',
        lambda u: f'{ECMA}:uid eq "{u["userName"]}"',
        lambda u: f'id eq "{u["id"]}"',
    ],
    ids=["userName", "userName-case", "work-email", "ecma-extension", "id"],
)
def test_match_queries_find_exactly_the_user(scim: httpx.Client, make_filter: Any) -> None:
    user = create_user(scim)
    response = scim.get("/Users", params={"filter": make_filter(user)})
    assert response.status_code == 200, response.text
    assert [r["id"] for r in response.json()["Resources"]] == [user["id"]]
    assert response.json()["totalResults"] == 1


def test_default_patch_shape_and_a_username_change_renames_but_keeps_the_id(scim: httpx.Client) -> None:
    user = create_user(scim)
    new_login = f"renamed-{uuid.uuid4()}"
    response = scim.patch(
        f"/Users/{user['id']}",
        json=patch(
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "updated@example.org"},
            {"op": "Replace", "path": "name.familyName", "value": "Updated"},
            {"op": "Add", "path": f"{ENTERPRISE}:employeeNumber", "value": "42"},
            {"op": "Replace", "path": "userName", "value": new_login},
        ),
    )
    assert response.status_code == 200, response.text
    fetched = scim.get(f"/Users/{user['id']}").json()
    assert fetched["userName"] == new_login
    assert fetched["emails"] == [{"type": "work", "value": "updated@example.org"}]
    assert fetched["name"]["familyName"] == "Updated"
    assert fetched[ENTERPRISE]["employeeNumber"] == "42"
    assert fetched[ECMA]["-dn-"] == f"uid={new_login},{PEOPLE}"


def test_flagged_pathless_replace_with_dotted_and_urn_keys(scim: httpx.Client) -> None:
    user = create_user(scim)
    value = {"displayName": "Display", "name.givenName": "B", f"{ENTERPRISE}:employeeNumber": "7"}
    response = scim.patch(f"/Users/{user['id']}?aadOptscim062020", json=patch({"op": "replace", "value": value}))
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["displayName"] == "Display"
    assert updated["name"]["givenName"] == "B"
    assert updated[ENTERPRISE]["employeeNumber"] == "7"


def test_disable_deletes_the_entry_as_configured(scim: httpx.Client) -> None:
    user = create_user(scim)
    response = scim.patch(f"/Users/{user['id']}", json=patch({"op": "Replace", "path": "active", "value": "False"}))
    assert response.status_code in (200, 204), response.text
    assert scim.get(f"/Users/{user['id']}").status_code == 404


def test_a_retried_create_gets_409_uniqueness(scim: httpx.Client) -> None:
    user = create_user(scim)
    response = scim.post("/Users", json=entra_user(user["userName"]))
    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"


def test_delete_then_404(scim: httpx.Client) -> None:
    user = create_user(scim)
    assert scim.delete(f"/Users/{user['id']}").status_code == 204
    assert scim.get(f"/Users/{user['id']}").status_code == 404


@pytest.mark.parametrize("flag", ["", "?aadOptscim062020"])
def test_group_lifecycle_as_entra_sends_it(scim: httpx.Client, flag: str) -> None:
    users = [create_user(scim) for _ in range(3)]
    name = f"group-{uuid.uuid4()}"
    response = scim.post(f"/Groups{flag}", json={"schemas": [CORE_GROUP], "displayName": name, "externalId": "x"})
    assert response.status_code == 201, response.text
    gid = response.json()["id"]
    assert response.json()["members"] == []
    found = scim.get("/Groups", params={"excludedAttributes": "members", "filter": f'displayName eq "{name}"'})
    assert [g["id"] for g in found.json()["Resources"]] == [gid]

    add = {"op": "Add", "path": "members", "value": [{"$ref": None, "value": u["id"]} for u in users]}
    assert scim.patch(f"/Groups/{gid}{flag}", json=patch(add)).status_code == 204
    assert {m["value"] for m in scim.get(f"/Groups/{gid}").json()["members"]} == {u["id"] for u in users}

    if flag:
        remove = {"op": "remove", "path": f'members[value eq "{users[0]["id"]}"]'}
    else:
        remove = {"op": "Remove", "path": "members", "value": [{"value": users[0]["id"]}]}
    assert scim.patch(f"/Groups/{gid}{flag}", json=patch(remove)).status_code == 204
    assert {m["value"] for m in scim.get(f"/Groups/{gid}").json()["members"]} == {u["id"] for u in users[1:]}

    member_filter = scim.get("/Groups", params={"filter": f'members[value eq "{users[1]["id"]}"]'}).json()
    assert gid in [g["id"] for g in member_filter["Resources"]]

    renamed = f"{name}-renamed"
    rename = {"op": "Replace", "path": "displayName", "value": renamed}
    assert scim.patch(f"/Groups/{gid}{flag}", json=patch(rename)).status_code == 204
    assert scim.get(f"/Groups/{gid}").json()["displayName"] == renamed

    assert scim.delete(f"/Users/{users[1]['id']}").status_code == 204
    assert [m["value"] for m in scim.get(f"/Groups/{gid}").json()["members"]] == [users[2]["id"]]
    assert scim.post("/Groups", json={"schemas": [CORE_GROUP], "displayName": renamed}).status_code == 409
    assert scim.delete(f"/Groups/{gid}").status_code == 204
    assert scim.get(f"/Groups/{gid}").status_code == 404


def test_schemas_list_the_selected_ldap_attributes(scim: httpx.Client) -> None:
    body = scim.get("/Schemas").json()
    extension = next(r for r in body["Resources"] if r["id"] == ECMA)
    names = {a["name"] for a in extension["attributes"]}
    assert {"uid", "givenName", "sn", "mail", "-dn-", "entryUUID"} <= names


def test_removing_display_name_gives_cn_its_create_default_again(scim: httpx.Client) -> None:
    """cn (displayName) is a MUST of inetOrgPerson with `create_defaults: {cn: "{uid}"}`: a PATCH remove makes it
    what a new entry gets (the uid), not a 400 for a required attribute (RFC 7644 §3.5.2.2)."""
    user = create_user(scim)
    named = scim.patch(f"/Users/{user['id']}", json=patch({"op": "replace", "path": "displayName", "value": "Shown"}))
    assert named.status_code == 200, named.text
    assert named.json()["displayName"] == "Shown"
    removed = scim.patch(f"/Users/{user['id']}", json=patch({"op": "remove", "path": "displayName"}))
    assert removed.status_code == 200, removed.text
    assert removed.json()["displayName"] == user["userName"]
    assert scim.get(f"/Users/{user['id']}").json()[ECMA]["cn"] == user["userName"]
