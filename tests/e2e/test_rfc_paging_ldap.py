"""Sorting and paging (RFC 7644 §3.4.2.3, §3.4.2.4) through an LDAP connector on slapd, which has no server-side
sort or VLV here: the host orders and pages itself, with the same rules as on SQL targets (case-insensitive
strings, missing values last ascending, ties by the anchor) and an exact, stable `totalResults`."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home
from ecmahost.tls import generate_certificate

from e2e_host import TOKEN, RunningHost, start_serve_host
from entra_requests import CORE_USER
from rfc_hosts import list_page, scim_client, walk
from support.slapd import BASE_DN, PASSWORD_ENV, ROOT_PASSWORD, Slapd, connector_file

pytestmark = [pytest.mark.e2e, pytest.mark.ldap]

USERS = 13
NAME = "ldappaging"


def _user(number: int) -> dict[str, Any]:
    login = f"{'User' if number % 2 else 'user'}{number:02d}"
    body: dict[str, Any] = {
        "schemas": [CORE_USER],
        "userName": login,
        "name": {"givenName": f"G{number % 3}", "familyName": f"F{number:02d}"},
    }
    if number % 3:
        body["title"] = f"T{number % 5}"
    return body


@pytest.fixture(scope="module")
def target(ldap_server: Slapd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningHost, str]]:
    """The host on a people OU of its own (the session's slapd is shared), with the test users created."""
    people = f"ou=paging{secrets.token_hex(4)},{BASE_DN}"
    connection = ldap_server.admin()
    try:
        assert connection.add(people, ["top", "organizationalUnit"])
    finally:
        connection.unbind()
    home = tmp_path_factory.mktemp("ldap-paging")
    store = ConnectorStore(Home(home))
    store.save(connector_file(ldap_server, NAME, people=people))
    store.set_token(NAME, TOKEN)
    generate_certificate(Home(home), hostnames=["localhost"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PASSWORD_ENV, ROOT_PASSWORD)
        host = start_serve_host(home)
    try:
        with scim_client(host, NAME) as scim:
            for number in range(USERS):
                response = scim.post("/Users", json=_user(number))
                assert response.status_code == 201, response.text
        yield host, people
        with scim_client(host, NAME) as scim:  # leave the shared directory as it was
            for resource in walk(scim, 50):
                assert scim.delete(f"/Users/{resource['id']}").status_code == 204
        connection = ldap_server.admin()
        try:
            assert connection.delete(people)
        finally:
            connection.unbind()
    finally:
        host.stop()


@pytest.fixture
def scim(target: tuple[RunningHost, str]) -> Iterator[httpx.Client]:
    with scim_client(target[0], NAME) as client:
        yield client


def _ids(resources: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in resources]


def test_a_walk_through_every_user_matches_the_directory(
    scim: httpx.Client, target: tuple[RunningHost, str], ldap_server: Slapd
) -> None:
    connection = ldap_server.admin()
    try:
        connection.search(target[1], "(objectClass=inetOrgPerson)", attributes=["entryUUID"])
        stored = {str(entry.entryUUID) for entry in connection.entries}
    finally:
        connection.unbind()
    for count in (1, 4, 13, 50):
        walked = _ids(walk(scim, count))
        assert len(walked) == len(set(walked)) == USERS == len(stored)
        assert set(walked) == stored


def test_sort_by_username_ignores_case_and_descending_reverses(scim: httpx.Client) -> None:
    ascending = [r["userName"] for r in walk(scim, 4, sortBy="userName")]
    assert ascending == sorted(ascending, key=str.lower)
    assert [r["userName"] for r in walk(scim, 5, sortBy="userName", sortOrder="descending")] == ascending[::-1]


def test_ties_keep_one_stable_total_order_in_both_orders(scim: httpx.Client) -> None:
    for order in ("ascending", "descending"):
        pages = [_ids(walk(scim, count, sortBy="name.givenName", sortOrder=order)) for count in (2, 5, 13)]
        assert pages[0] == pages[1] == pages[2], order
        given = [r["name"]["givenName"] for r in walk(scim, 13, sortBy="name.givenName", sortOrder=order)]
        assert given == sorted(given, reverse=order == "descending")


def test_missing_values_sort_last_ascending_and_first_descending(scim: httpx.Client) -> None:
    titles = [r.get("title") for r in walk(scim, 4, sortBy="title")]
    present = sorted(t for t in titles if t is not None)
    missing = len(range(0, USERS, 3))
    assert titles == present + [None] * missing
    descending = [r.get("title") for r in walk(scim, 4, sortBy="title", sortOrder="descending")]
    assert descending == [None] * missing + present[::-1]


def test_paging_edges_answer_as_on_sql_targets(scim: httpx.Client) -> None:
    first = list_page(scim, startIndex=1, count=3)
    assert _ids(list_page(scim, startIndex=0, count=3)["Resources"]) == _ids(first["Resources"])
    assert list_page(scim, startIndex=-4, count=3)["startIndex"] == 1
    empty = list_page(scim, count=0)
    assert (empty["totalResults"], empty["Resources"], empty["itemsPerPage"]) == (USERS, [], 0)
    assert list_page(scim, count=-1)["itemsPerPage"] == 0
    past = list_page(scim, startIndex=USERS + 5, count=3)
    assert (past["totalResults"], past["Resources"]) == (USERS, [])
    assert scim.get("/Users", params={"count": "ten"}).status_code == 400
