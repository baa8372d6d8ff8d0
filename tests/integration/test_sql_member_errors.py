"""A SQL schema unlike the demo (integer keys, a link table with foreign keys, a NOT NULL column the connector does
not map): refused writes name the member ids that name no row and the column that needs a value."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.errors import ConstraintViolation, MembersNotFound
from ecmahost.connectors.query import MEMBERS, Change
from ecmahost.connectors.sql import SqlConnector
from ecmahost.home import Home

SCHEMA = """
CREATE TABLE People (PersonId INTEGER PRIMARY KEY AUTOINCREMENT, Login TEXT NOT NULL UNIQUE, Site TEXT NOT NULL);
CREATE TABLE Teams (TeamId INTEGER PRIMARY KEY AUTOINCREMENT, Name TEXT NOT NULL UNIQUE);
CREATE TABLE TeamMembers (
    TeamId INTEGER NOT NULL REFERENCES Teams (TeamId),
    PersonId INTEGER NOT NULL REFERENCES People (PersonId),
    PRIMARY KEY (TeamId, PersonId)
);
INSERT INTO People (Login, Site) VALUES ('ada', 'Paris');
"""


def _connector_file(database: Path) -> dict[str, object]:
    return {
        "name": "hr",
        "type": "sql",
        "connection": {"url": f"sqlite:///{database}"},
        "object_types": {
            "User": {
                "table": "People",
                "anchor": {"attribute": "PersonId", "generate": "target"},
                "attributes": {
                    "PersonId": {"mutability": "readOnly"},
                    "Login": {"scim": "userName", "required": True, "unique": True},
                },
            },
            "Group": {
                "table": "Teams",
                "anchor": {"attribute": "TeamId", "generate": "target"},
                "attributes": {"TeamId": {"mutability": "readOnly"}, "Name": {"scim": "displayName", "required": True}},
                "members": {"table": "TeamMembers", "group_key": "TeamId", "member_key": "PersonId"},
            },
        },
    }


@pytest.fixture
async def connector(tmp_path: Path) -> AsyncIterator[SqlConnector]:
    database = tmp_path / "hr.db"
    with sqlite3.connect(database) as conn:
        conn.executescript(SCHEMA)
    home = Home(tmp_path / "home")
    home.ensure()
    config = ConnectorStore(home).save(_connector_file(database))
    opened = SqlConnector(config, home=home.root)
    await opened.open()
    yield opened
    await opened.close()


@pytest.mark.anyio
async def test_members_that_name_no_row_or_cannot_be_a_key_are_named(connector: SqlConnector) -> None:
    with pytest.raises(MembersNotFound) as refused:
        await connector.create("Group", {"Name": "Ops", MEMBERS: ["1", "999", "not-a-number"]})
    assert set(refused.value.ids) == {"999", "not-a-number"}
    assert "'1'" not in refused.value.detail
    team = await connector.create("Group", {"Name": "Dev", MEMBERS: ["1"]})
    with pytest.raises(MembersNotFound) as refused:
        await connector.update("Group", str(team["TeamId"]), Change(add_members=["998"]))
    assert refused.value.ids == ("998",)
    stored = await connector.get("Group", str(team["TeamId"]), frozenset({"Name", MEMBERS}))
    assert stored[MEMBERS] == ["1"]


@pytest.mark.anyio
async def test_a_not_null_column_the_connector_does_not_map_is_named(connector: SqlConnector) -> None:
    with pytest.raises(ConstraintViolation) as refused:
        await connector.create("User", {"Login": "grace"})
    assert refused.value.attribute == "Site"
    assert refused.value.detail.startswith("Site is required by the target")
