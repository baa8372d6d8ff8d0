"""Sorting and paging of list requests (RFC 7644 §3.4.2.3, §3.4.2.4) on the real host over HTTPS, on SQLite,
PostgreSQL and MariaDB: ascending and descending on core and extension attributes, ties in a stable total order,
missing values last (first descending), and every paging edge: `count` over the maximum, `startIndex` below 1,
`count` 0 or negative, non-numbers, and a walk through every user that the target's own rows confirm."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from entra_requests import CORE_USER, ECMA, ENTERPRISE, assert_error
from rfc_hosts import TARGETS, connector, fresh_database, list_page, rows, scim_client, serve, walk

pytestmark = pytest.mark.e2e

USERS = 23
MAX_PAGE, DEFAULT_PAGE = 10, 4
NAME = "paging"


def _user(number: int) -> dict[str, Any]:
    """User `number`: its userName alternates case (sorting ignores it), givenName and department repeat (ties),
    every third has no title (missing values)."""
    login = f"{'User' if number % 2 else 'user'}{number:02d}"
    body: dict[str, Any] = {
        "schemas": [CORE_USER, ENTERPRISE],
        "userName": login,
        "name": {"givenName": f"G{number % 3}", "familyName": f"F{number:02d}"},
        ENTERPRISE: {"department": f"D{number % 4}"},
    }
    if number % 3:
        body["title"] = f"T{number % 5}"
    return body


@pytest.fixture(scope="module", params=TARGETS)
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    home = tmp_path_factory.mktemp(f"paging-{request.param}")
    with fresh_database(request.param, home) as url:
        limits = {"max_page_size": MAX_PAGE, "default_page_size": DEFAULT_PAGE}
        host = serve(home, url, [connector(NAME, url, limits=limits)])
        try:
            with scim_client(host, NAME) as scim:
                for number in range(USERS):
                    response = scim.post("/Users", json=_user(number))
                    assert response.status_code == 201, response.text
            yield host, url
        finally:
            host.stop()


@pytest.fixture
def scim(target: tuple[Any, str]) -> Iterator[httpx.Client]:
    with scim_client(target[0], NAME) as client:
        yield client


def _logins(resources: list[dict[str, Any]]) -> list[str]:
    return [r["userName"] for r in resources]


# -- sorting --------------------------------------------------------------------------------------------------


def test_sort_by_username_ascending_ignores_case(scim: httpx.Client) -> None:
    logins = _logins(walk(scim, MAX_PAGE, sortBy="userName"))
    assert logins == sorted(logins, key=str.lower)
    assert logins[0].lower() == "user00"


def test_sort_order_descending_reverses_the_order(scim: httpx.Client) -> None:
    ascending = _logins(walk(scim, MAX_PAGE, sortBy="userName", sortOrder="ascending"))
    descending = _logins(walk(scim, MAX_PAGE, sortBy="userName", sortOrder="descending"))
    assert descending == ascending[::-1]
    assert _logins(walk(scim, MAX_PAGE, sortBy="USERNAME", sortOrder="Descending")) == descending


def test_sort_by_a_sub_attribute_keeps_ties_in_one_stable_total_order(scim: httpx.Client) -> None:
    """givenName takes three values among 23 users: pages of 4 and pages of 10 list the same sequence, twice."""
    small = walk(scim, DEFAULT_PAGE, sortBy="name.givenName")
    large = walk(scim, MAX_PAGE, sortBy="name.givenName")
    given = [r["name"]["givenName"] for r in large]
    assert given == sorted(given)
    assert (
        [r["id"] for r in small]
        == [r["id"] for r in large]
        == [r["id"] for r in walk(scim, 7, sortBy="name.givenName")]
    )
    assert len({r["id"] for r in large}) == USERS


def test_sort_descending_with_ties_is_a_stable_total_order_too(scim: httpx.Client) -> None:
    small = walk(scim, 3, sortBy="name.givenName", sortOrder="descending")
    large = walk(scim, MAX_PAGE, sortBy="name.givenName", sortOrder="descending")
    assert [r["id"] for r in small] == [r["id"] for r in large]
    given = [r["name"]["givenName"] for r in large]
    assert given == sorted(given, reverse=True)


@pytest.mark.parametrize(
    ("sort_by", "read"),
    [
        (f"{ENTERPRISE}:department", lambda r: r[ENTERPRISE]["department"]),
        (f"{ECMA}:LastName", lambda r: r[ECMA]["LastName"]),
        (f"{CORE_USER}:name.familyName", lambda r: r["name"]["familyName"]),
    ],
    ids=["enterprise", "ecma2host", "core-urn"],
)
def test_sort_by_a_urn_qualified_extension_attribute(scim: httpx.Client, sort_by: str, read: Any) -> None:
    for order, reverse in (("ascending", False), ("descending", True)):
        values = [read(r) for r in walk(scim, MAX_PAGE, sortBy=sort_by, sortOrder=order)]
        assert values == sorted(values, reverse=reverse), order


def test_missing_values_sort_last_ascending_and_first_descending(scim: httpx.Client) -> None:
    ascending = [r.get("title") for r in walk(scim, MAX_PAGE, sortBy="title")]
    with_title = [t for t in ascending if t is not None]
    missing = USERS - len(with_title)
    assert missing == len(range(0, USERS, 3))
    assert ascending == sorted(with_title) + [None] * missing
    descending = [r.get("title") for r in walk(scim, MAX_PAGE, sortBy="title", sortOrder="descending")]
    assert descending == [None] * missing + sorted(with_title, reverse=True)


def test_sort_by_id_and_sort_order_alone_order_by_the_anchor(scim: httpx.Client) -> None:
    by_id = [r["id"] for r in walk(scim, MAX_PAGE, sortBy="id")]
    default = [r["id"] for r in walk(scim, MAX_PAGE)]
    assert by_id == default, "without sortBy the order is the anchor's"
    assert [r["id"] for r in walk(scim, MAX_PAGE, sortOrder="descending")] == default[::-1]
    assert [r["id"] for r in walk(scim, MAX_PAGE, sortBy="id", sortOrder="descending")] == default[::-1]


@pytest.mark.parametrize("sort_by", ["nickNameX", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:nope"])
def test_sort_by_an_unknown_attribute_is_400_naming_it(scim: httpx.Client, sort_by: str) -> None:
    response = scim.get("/Users", params={"sortBy": sort_by})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["scimType"] in ("invalidValue", "invalidFilter")
    assert sort_by.rsplit(":", 1)[-1] in body["detail"]
    assert "sortBy" in body["detail"]


def test_sort_order_other_than_ascending_or_descending_is_400_invalid_value(scim: httpx.Client) -> None:
    body = assert_error(scim.get("/Users", params={"sortBy": "userName", "sortOrder": "up"}), 400, "invalidValue")
    assert "ascending or descending" in body["detail"]


# -- paging ---------------------------------------------------------------------------------------------------


def test_count_above_the_maximum_is_lowered_to_it_and_items_per_page_tells(scim: httpx.Client) -> None:
    page = list_page(scim, count=MAX_PAGE * 50)
    assert page["totalResults"] == USERS
    assert len(page["Resources"]) == page["itemsPerPage"] == MAX_PAGE


def test_without_count_the_default_page_size_applies(scim: httpx.Client) -> None:
    page = list_page(scim)
    assert page["totalResults"] == USERS
    assert len(page["Resources"]) == page["itemsPerPage"] == DEFAULT_PAGE


@pytest.mark.parametrize("start", [0, -1, -1000])
def test_start_index_below_one_reads_as_one(scim: httpx.Client, start: int) -> None:
    first = list_page(scim, startIndex=1, count=3)
    page = list_page(scim, startIndex=start, count=3)
    assert page["startIndex"] == 1
    assert [r["id"] for r in page["Resources"]] == [r["id"] for r in first["Resources"]]


@pytest.mark.parametrize("count", [0, -1, -50])
def test_count_zero_or_negative_answers_the_total_only(scim: httpx.Client, count: int) -> None:
    page = list_page(scim, count=count)
    assert page["totalResults"] == USERS
    assert page.get("Resources", []) == []
    assert page["itemsPerPage"] == 0
    filtered = list_page(scim, count=count, filter='name.givenName eq "G1"')
    assert filtered["totalResults"] == len(range(1, USERS, 3))
    assert filtered.get("Resources", []) == []


@pytest.mark.parametrize(
    "params",
    [{"count": "ten"}, {"count": "1.5"}, {"startIndex": "x"}, {"startIndex": "2e3"}, {"count": "0x10"}],
)
def test_a_count_or_start_index_that_is_not_an_integer_is_400_invalid_value(
    scim: httpx.Client, params: dict[str, str]
) -> None:
    body = assert_error(scim.get("/Users", params=params), 400, "invalidValue")
    assert next(iter(params)) in body["detail"]


def test_a_start_index_past_the_end_answers_an_empty_page_with_the_exact_total(scim: httpx.Client) -> None:
    page = list_page(scim, startIndex=USERS + 1, count=5)
    assert page["totalResults"] == USERS
    assert page["Resources"] == []
    assert page["startIndex"] == USERS + 1
    assert page["itemsPerPage"] == 0


@pytest.mark.parametrize("count", [1, DEFAULT_PAGE, 7, MAX_PAGE])
def test_a_walk_through_every_user_has_no_duplicate_and_no_gap(
    scim: httpx.Client, target: tuple[Any, str], count: int
) -> None:
    walked = [r["id"] for r in walk(scim, count)]
    assert len(walked) == len(set(walked)) == USERS
    stored = {row["InternalGUID"] for row in rows(target[1], "Employees", "InternalGUID")}
    assert set(walked) == stored


def test_a_walk_through_a_filtered_sorted_list_matches_the_target(scim: httpx.Client, target: tuple[Any, str]) -> None:
    walked = walk(scim, 3, filter='name.givenName eq "G2"', sortBy="name.familyName", sortOrder="descending")
    stored = sorted((row["LastName"] for row in rows(target[1], "Employees", "LastName", FirstName="G2")), reverse=True)
    assert [r["name"]["familyName"] for r in walked] == stored
