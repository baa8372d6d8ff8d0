"""`views:` end to end over HTTPS: the demo database served as `core` (no ECMA2Host key anywhere, a body or PATCH
naming it refused with the fix), as `extension` (only the ECMA2Host extension) and as `both` (discovery lists both;
two different values for one column refused with what to send). And `meta.created` / `meta.lastModified` filter and
sort where the target stores them: SQLite, PostgreSQL (the demo's `timestamps:`) and slapd (createTimestamp,
modifyTimestamp)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ecmahost.connectors.sql.demo_schema import create_demo_tables
from ecmahost.demo import demo_connector

from e2e_connectors import ConnectorHost, start_connector_host
from e2e_host import TOKEN, RunningHost, prepare_home, start_serve_host
from support.slapd import PASSWORD_ENV, ROOT_PASSWORD, Slapd
from support.slapd import connector_file as ldap_connector_file

pytestmark = pytest.mark.e2e

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ECMA = "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:User"
ECMA_GROUP = "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
TARGETS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _demo_home(home: Path, url: str) -> None:
    """A home serving the demo tables at `url` three times: `demo` (views: both), `democore`, `demoext`."""
    home.mkdir(parents=True, exist_ok=True)
    asyncio.run(create_demo_tables(url, home))
    prepare_home(home, demo_connector("demo", url))
    prepare_home(home, {**demo_connector("democore", url), "views": "core"})
    prepare_home(home, {**demo_connector("demoext", url), "views": "extension"})


@pytest.fixture(scope="module", params=TARGETS)
def host(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    home = tmp_path_factory.mktemp(f"views-{request.param}")
    url = f"sqlite:///{home / 'demo.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    _demo_home(home, url)
    running = start_serve_host(home)
    yield running
    running.stop()


def client(host: RunningHost, connector: str) -> httpx.Client:
    base = f"{host.root}/ecma2host_{connector}/scim"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return httpx.Client(base_url=base, headers=headers, verify=host.tls(), timeout=30)


@pytest.fixture
def core(host: RunningHost) -> Iterator[httpx.Client]:
    with client(host, "democore") as scim:
        yield scim


@pytest.fixture
def extension(host: RunningHost) -> Iterator[httpx.Client]:
    with client(host, "demoext") as scim:
        yield scim


@pytest.fixture
def both(host: RunningHost) -> Iterator[httpx.Client]:
    with client(host, "demo") as scim:
        yield scim


def core_user(login: str) -> dict[str, Any]:
    return {
        "schemas": [CORE_USER, ENTERPRISE],
        "userName": login,
        "name": {"givenName": "Ada", "familyName": "Core"},
        "emails": [{"type": "work", "value": f"{login}@example.org"}],
        "active": True,
        ENTERPRISE: {"employeeNumber": "42", "department": "R&D"},
    }


def error_of(response: httpx.Response, status: int, scim_type: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["scimType"] == scim_type, body
    return str(body["detail"])


# -- views: core ---------------------------------------------------------------------------------------------------


def test_core_discovery_describes_and_lists_only_core_and_enterprise(core: httpx.Client) -> None:
    schemas = {s["id"] for s in core.get("/Schemas").json()["Resources"]}
    assert schemas == {CORE_USER, ENTERPRISE, CORE_GROUP}
    types = {t["id"]: t for t in core.get("/ResourceTypes").json()["Resources"]}
    assert [e["schema"] for e in types["User"]["schemaExtensions"]] == [ENTERPRISE]
    assert "schemaExtensions" not in types["Group"]
    assert "ECMA2Host" not in core.get("/openapi.json").text


def test_core_renders_no_ecma2host_key_on_create_read_list_and_patch(core: httpx.Client) -> None:
    login = f"core-{uuid.uuid4()}"
    created = core.post("/Users", json=core_user(login))
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["userName"] == login
    assert user[ENTERPRISE] == {"employeeNumber": "42", "department": "R&D"}
    assert user["schemas"] == [CORE_USER, ENTERPRISE]
    patched = core.patch(
        f"/Users/{user['id']}",
        json={"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "Engineer"}]},
    )
    assert patched.status_code == 200, patched.text
    listed = core.get("/Users", params={"filter": f'userName eq "{login}"'})
    for response in (created, core.get(f"/Users/{user['id']}"), listed, patched):
        assert "ECMA2Host" not in response.text
        assert "-dn-" not in response.text
    assert listed.json()["Resources"][0]["title"] == "Engineer"


def test_core_refuses_a_body_written_for_the_ecma2host_extension_with_what_to_send(core: httpx.Client) -> None:
    login = f"core-{uuid.uuid4()}"
    body = {"schemas": [CORE_USER, ECMA], ECMA: {"ContosoLogin": login}}
    detail = error_of(core.post("/Users", json=body), 400, "invalidSyntax")
    assert detail.startswith(f"{ECMA} is not served by this connector (views: core)")
    assert "userName" in detail
    assert "views: both" in detail
    assert core.get("/Users", params={"filter": f'userName eq "{login}"'}).json()["totalResults"] == 0


def test_core_refuses_patch_and_filter_naming_the_extension(core: httpx.Client) -> None:
    user = core.post("/Users", json=core_user(f"core-{uuid.uuid4()}")).json()
    operation = {"op": "replace", "path": f"{ECMA}:FirstName", "value": "X"}
    patched = core.patch(f"/Users/{user['id']}", json={"schemas": [PATCH_OP], "Operations": [operation]})
    assert "views: core" in error_of(patched, 400, "invalidPath")
    listed = core.get("/Users", params={"filter": f'{ECMA}:ContosoLogin eq "x"'})
    assert "views: core" in error_of(listed, 400, "invalidFilter")
    assert core.get(f"/Users/{user['id']}").json()["name"]["givenName"] == "Ada", "nothing was written"


# -- views: extension ----------------------------------------------------------------------------------------------


def test_extension_discovery_lists_only_the_ecma2host_extension(extension: httpx.Client) -> None:
    schemas = {s["id"]: s for s in extension.get("/Schemas").json()["Resources"]}
    assert set(schemas) == {CORE_USER, ECMA, CORE_GROUP, ECMA_GROUP}
    assert schemas[CORE_USER]["attributes"] == []
    assert "ContosoLogin" in {a["name"] for a in schemas[ECMA]["attributes"]}
    types = {t["id"]: t for t in extension.get("/ResourceTypes").json()["Resources"]}
    assert [e["schema"] for e in types["User"]["schemaExtensions"]] == [ECMA]


def test_extension_serves_the_ecma_template_shape_and_active_still_disables(extension: httpx.Client) -> None:
    login = f"ext-{uuid.uuid4()}"
    body = {"schemas": [CORE_USER, ECMA], ECMA: {"ContosoLogin": login, "FirstName": "Eve", "Active": True}}
    created = extension.post("/Users", json=body)
    assert created.status_code == 201, created.text
    user = created.json()
    assert set(user) == {"id", "schemas", "meta", ECMA}
    assert user[ECMA]["ContosoLogin"] == login
    found = extension.get("/Users", params={"filter": f'{ECMA}:ContosoLogin eq "{login}"'}).json()
    assert [u["id"] for u in found["Resources"]] == [user["id"]]
    disable = {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
    assert extension.patch(f"/Users/{user['id']}", json=disable).status_code == 200
    assert extension.get(f"/Users/{user['id']}").json()[ECMA]["Active"] is False


# -- views: both ---------------------------------------------------------------------------------------------------


def test_both_lists_enterprise_and_ecma2host_and_refuses_two_values_for_one_column(both: httpx.Client) -> None:
    types = {t["id"]: t for t in both.get("/ResourceTypes").json()["Resources"]}
    assert [e["schema"] for e in types["User"]["schemaExtensions"]] == [ENTERPRISE, ECMA]
    login = f"both-{uuid.uuid4()}"
    body = {**core_user(login), ECMA: {"ContosoLogin": f"other-{login}"}}
    detail = error_of(both.post("/Users", json=body), 400, "invalidValue")
    assert detail.startswith(f"userName and {ECMA}:ContosoLogin are one target attribute (ContosoLogin)")
    assert detail.endswith("give the same value at both paths, or give only one of them")
    same = both.post("/Users", json={**core_user(login), ECMA: {"ContosoLogin": login.upper()}})
    assert same.status_code == 201, same.text


def test_both_takes_a_resource_put_back_as_read_with_one_path_changed(both: httpx.Client) -> None:
    """GET, change one path, PUT it back (Okta, scim-sanity): the other path still holds the stored value, so the
    changed one is the client's intent; two values that both differ from the stored one are still refused."""
    login = f"back-{uuid.uuid4()}"
    created = both.post("/Users", json=core_user(login))
    assert created.status_code == 201, created.text
    read = both.get(f"/Users/{created.json()['id']}").json()
    assert read[ECMA]["ContosoLogin"] == login
    changed = {**read, "userName": f"{login}-core"}
    put = both.put(f"/Users/{read['id']}", json=changed)
    assert put.status_code == 200, put.text
    assert (put.json()["userName"], put.json()[ECMA]["ContosoLogin"]) == (f"{login}-core",) * 2
    again = both.get(f"/Users/{read['id']}").json()
    via_extension = {**again, ECMA: {**again[ECMA], "ContosoLogin": f"{login}-ext"}}
    put = both.put(f"/Users/{read['id']}", json=via_extension)
    assert put.status_code == 200, put.text
    assert both.get(f"/Users/{read['id']}").json()["userName"] == f"{login}-ext"
    neither = {**via_extension, "userName": "x-" + login, ECMA: {**via_extension[ECMA], "ContosoLogin": "y-" + login}}
    detail = error_of(both.put(f"/Users/{read['id']}", json=neither), 400, "invalidValue")
    assert detail.endswith("(neither is the value stored now)")
    assert both.get(f"/Users/{read['id']}").json()["userName"] == f"{login}-ext"


# -- meta.created / meta.lastModified --------------------------------------------------------------------------------


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def check_timestamp_filters_and_sorts(scim: httpx.Client, users: list[dict[str, Any]], tag: str) -> None:
    """Every filter and sort on meta answers exactly what the rendered `meta` values say, for the tagged users."""
    ours = {u["id"] for u in users}
    metas = {u["id"]: scim.get(f"/Users/{u['id']}").json()["meta"] for u in users}
    stamps = {i: {k: _when(meta[k]) for k in ("created", "lastModified")} for i, meta in metas.items()}
    first = users[0]["id"]

    def ids(filter_: str, **params: str) -> list[str]:
        response = scim.get("/Users", params={"filter": f'({filter_}) and userName sw "{tag}"', **params})
        assert response.status_code == 200, response.text
        return [u["id"] for u in response.json()["Resources"]]

    for key in ("created", "lastModified"):
        pivot = stamps[first][key]
        later = {i for i in ours if stamps[i][key] > pivot}
        assert set(ids(f'meta.{key} gt "{metas[first][key]}"')) == later
        assert first not in later
        at_or_after = later | {i for i in ours if stamps[i][key] == pivot}
        assert set(ids(f'meta.{key} ge "{metas[first][key]}"')) == at_or_after
        assert set(ids(f"meta.{key} pr")) == ours
        ascending = ids("meta.created pr", sortBy=f"meta.{key}", sortOrder="ascending")
        assert [stamps[i][key] for i in ascending] == sorted(stamps[i][key] for i in ours)
        descending = ids("meta.created pr", sortBy=f"meta.{key}", sortOrder="descending")
        assert [stamps[i][key] for i in descending] == sorted((stamps[i][key] for i in ours), reverse=True)


def test_meta_timestamps_filter_and_sort_on_sql(both: httpx.Client) -> None:
    tag = f"ts-{uuid.uuid4().hex[:8]}"
    users = []
    for index in range(4):
        response = both.post("/Users", json=core_user(f"{tag}-{index}"))
        assert response.status_code == 201, response.text
        users.append(response.json())
    touch = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "Touched"}]}
    assert both.patch(f"/Users/{users[0]['id']}", json=touch).status_code == 200
    check_timestamp_filters_and_sorts(both, users, tag)
    meta = both.get(f"/Users/{users[0]['id']}").json()["meta"]
    assert _when(meta["lastModified"]) > _when(meta["created"]), "the PATCH moved lastModified (the demo's ModifiedAt)"


@pytest.mark.ldap
def test_meta_timestamps_filter_and_sort_on_ldap(ldap_server: Slapd, tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ[PASSWORD_ENV] = ROOT_PASSWORD
    running: ConnectorHost = start_connector_host(
        tmp_path_factory.mktemp("views-ldap"), ldap_connector_file(ldap_server, "ldapviews")
    )
    try:
        with client(running, "ldapviews") as scim:
            tag = f"ts{uuid.uuid4().hex[:8]}"
            users = []
            for index in range(3):
                body = {"schemas": [CORE_USER], "userName": f"{tag}-{index}", "name": {"familyName": "Stamp"}}
                response = scim.post("/Users", json=body)
                assert response.status_code == 201, response.text
                users.append(response.json())
            check_timestamp_filters_and_sorts(scim, users, tag)
    finally:
        running.stop()


def test_meta_timestamps_the_target_does_not_store_are_invalid_filter(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A demo file without `timestamps:`: a filter or sort on meta.created is 400 saying so, never all users."""
    home = tmp_path_factory.mktemp("views-no-stamps")
    url = f"sqlite:///{home / 'demo.db'}"
    asyncio.run(create_demo_tables(url, home))
    raw = demo_connector("nostamps", url)
    for object_type in raw["object_types"].values():
        object_type.pop("timestamps", None)
    prepare_home(home, raw)
    running = start_serve_host(home)
    try:
        with client(running, "nostamps") as scim:
            assert scim.post("/Users", json=core_user(f"ns-{uuid.uuid4()}")).status_code == 201
            listed = scim.get("/Users", params={"filter": 'meta.lastModified gt "2000-01-01T00:00:00Z"'})
            assert "does not store its modification time" in error_of(listed, 400, "invalidFilter")
            sorted_ = scim.get("/Users", params={"sortBy": "meta.created"})
            assert "does not store its creation time" in error_of(sorted_, 400, "invalidValue")
            assert "created" not in scim.get("/Users").json()["Resources"][0]["meta"]
    finally:
        running.stop()
