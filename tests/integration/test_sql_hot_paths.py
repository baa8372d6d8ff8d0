"""The SQL connector's prepared hot paths give the same records as its general ones, on SQLite, PostgreSQL and
MariaDB: an `eq` match and a read by anchor (rows and child rows in one joined statement), an insert returning its
row in autocommit, an update of the row's own columns in autocommit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ecmahost.connectors.errors import ObjectNotFound
from ecmahost.connectors.query import MEMBERS, And, Change, Compare, Op, SearchQuery
from ecmahost.connectors.sql import SqlConnector
from ecmahost.connectors.sql.demo_schema import create_demo_tables, demo_connector_config

pytestmark = pytest.mark.anyio
PHONES = [
    {"value": "+1 555 0100", "type": "work", "primary": True},
    {"value": "+1 555 0101", "type": "mobile", "primary": False},
]


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ],
)
def demo_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    asyncio.run(create_demo_tables(url, tmp_path_factory.mktemp("home")))
    return url


@pytest.fixture
async def connector(demo_url: str, tmp_path: Path) -> AsyncIterator[SqlConnector]:
    opened = SqlConnector(demo_connector_config("demo", demo_url), home=tmp_path)
    await opened.open()
    yield opened
    await opened.close()


def _login(tag: str) -> str:
    return f"{tag}-{time.time_ns()}@contoso.com"


async def test_an_eq_match_reads_the_same_record_and_child_rows_as_the_general_query(connector: SqlConnector) -> None:
    login = _login("eq")
    created = await connector.create("User", {"ContosoLogin": login, "FirstName": "Eq", "PhoneNumbers": PHONES})
    prepared = await connector.search(
        "User", SearchQuery(filter=Compare("ContosoLogin", Op.EQ, login.upper(), case_exact=False))
    )
    general = await connector.search(
        "User", SearchQuery(filter=And([Compare("ContosoLogin", Op.EQ, login.upper(), case_exact=False)]))
    )
    assert prepared == general
    assert prepared.total == 1
    assert prepared.records[0]["PhoneNumbers"] == PHONES
    assert prepared.records[0] == await connector.get("User", created["InternalGUID"])


async def test_an_object_without_child_rows_reads_an_empty_list(connector: SqlConnector) -> None:
    login = _login("bare")
    created = await connector.create("User", {"ContosoLogin": login})
    assert created["PhoneNumbers"] == []
    found = await connector.search("User", SearchQuery(filter=Compare("ContosoLogin", Op.EQ, login)))
    assert found.records[0]["PhoneNumbers"] == []
    assert (await connector.get("User", created["InternalGUID"]))["PhoneNumbers"] == []


async def test_an_eq_match_that_fills_the_page_counts_the_total(connector: SqlConnector) -> None:
    department = f"dept-{time.time_ns()}"
    anchors = [
        (
            await connector.create(
                "User", {"ContosoLogin": _login(f"page{i}"), "Department": department, "PhoneNumbers": PHONES}
            )
        )["InternalGUID"]
        for i in range(3)
    ]
    query = Compare("Department", Op.EQ, department)
    page = await connector.search("User", SearchQuery(filter=query, limit=2))
    assert page.total == 3
    assert [r["InternalGUID"] for r in page.records] == sorted(anchors)[:2]
    assert all(r["PhoneNumbers"] == PHONES for r in page.records)
    everything = await connector.search("User", SearchQuery(filter=query, limit=10))
    assert (everything.total, len(everything.records)) == (3, 3)


async def test_a_created_row_is_returned_as_a_later_read_sees_it(connector: SqlConnector) -> None:
    created = await connector.create("User", {"ContosoLogin": _login("post"), "Active": True, "Title": None})
    assert created == await connector.get("User", created["InternalGUID"])
    assert created["Active"] is True
    assert created["Title"] is None


async def test_an_update_of_own_columns_applies_and_a_missing_object_is_not_found(connector: SqlConnector) -> None:
    created = await connector.create("User", {"ContosoLogin": _login("patch"), "PhoneNumbers": PHONES})
    await connector.update("User", created["InternalGUID"], Change(set={"Title": "Boss", "LastName": "Later"}))
    updated = await connector.get("User", created["InternalGUID"])
    assert (updated["Title"], updated["LastName"], updated["PhoneNumbers"]) == ("Boss", "Later", PHONES)
    with pytest.raises(ObjectNotFound):
        await connector.update("User", "00000000-0000-4000-8000-00000000dead", Change(set={"Title": "Nobody"}))


async def test_an_update_of_own_columns_returns_the_record_a_later_read_sees_on_postgresql(
    connector: SqlConnector, demo_url: str
) -> None:
    """On PostgreSQL the UPDATE reads the record back in the same statement (child rows included), so a PATCH
    needs no second round trip; elsewhere `update` returns None and the host reads."""
    created = await connector.create("User", {"ContosoLogin": _login("returning"), "PhoneNumbers": PHONES})
    anchor = created["InternalGUID"]
    returned = await connector.update("User", anchor, Change(set={"Title": "Chief", "Department": None}))
    stored = await connector.get("User", anchor)
    if demo_url.startswith("postgresql"):
        assert returned == stored
        assert (stored["Title"], stored["Department"], stored["PhoneNumbers"]) == ("Chief", None, PHONES)
    else:
        assert returned is None
        assert stored["Title"] == "Chief"


async def test_deleting_a_user_removes_its_child_and_membership_rows_with_it(connector: SqlConnector) -> None:
    user = await connector.create("User", {"ContosoLogin": _login("gone"), "PhoneNumbers": PHONES})
    anchor = user["InternalGUID"]
    group = await connector.create("Group", {"DisplayName": _login("group"), MEMBERS: [anchor]})
    await connector.delete("User", anchor)
    with pytest.raises(ObjectNotFound):
        await connector.get("User", anchor)
    members = await connector.get("Group", group["GroupGUID"], frozenset({"GroupGUID", MEMBERS}))
    assert members[MEMBERS] == []
    with pytest.raises(ObjectNotFound):
        await connector.delete("User", anchor)
