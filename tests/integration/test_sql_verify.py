"""`SqlConnector.verify` against real SQLite, PostgreSQL and MariaDB tables: every problem a connector file can
have against a schema it was not written for (an HR database: people, teams and a link table), each with its
file key and its fix; and one broken object type leaves the other served."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from ecmahost.config.model import ConnectorConfig
from ecmahost.config.validation import validate_connector
from ecmahost.connectors.base import TargetProblem
from ecmahost.connectors.errors import TargetMismatch
from ecmahost.connectors.query import SearchQuery
from ecmahost.connectors.sql import SqlConnector
from ecmahost.connectors.sql.demo_schema import create_demo_tables, demo_connector_config
from ecmahost.home import Home

from support.hr_schema import hr_metadata


def _sync(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://").replace("mysql://", "mysql+pymysql://")


def _hr_database(url: str) -> str:
    engine = create_engine(_sync(url))
    try:
        hr_metadata().create_all(engine)
    finally:
        engine.dispose()
    return url


@pytest.fixture(
    params=[
        "sqlite_url",
        pytest.param("postgres_url", marks=pytest.mark.postgres),
        pytest.param("mariadb_url", marks=pytest.mark.mariadb),
    ]
)
def hr_url(request: pytest.FixtureRequest) -> str:
    return _hr_database(request.getfixturevalue(request.param))


def hr_file(url: str, **changes: Any) -> dict[str, Any]:
    """A connector file for the HR tables that serves; `changes` replaces keys of the User or Group type."""
    user = {
        "table": "HrPeople",
        "anchor": {"attribute": "PersonId", "generate": "uuid"},
        "attributes": {
            "PersonId": {},
            "Login": {"scim": "userName"},
            "GivenName": {"scim": "name.givenName"},
            "Enabled": {"scim": "active", "type": "boolean"},
            "Badge": {"scim": "externalId"},
            "Number": {"type": "integer"},
        },
    }
    group = {
        "table": "HrTeams",
        "anchor": {"attribute": "TeamId", "generate": "target"},
        "attributes": {"TeamId": {}, "TeamName": {"scim": "displayName"}},
        "members": {"table": "HrTeamMembers", "group_key": "TeamRef", "member_key": "PersonRef"},
    }
    user.update(changes.get("User", {}))
    group.update(changes.get("Group", {}))
    return {"name": "hr", "type": "sql", "connection": {"url": url}, "object_types": {"User": user, "Group": group}}


def config_of(raw: dict[str, Any], home: Path) -> ConnectorConfig:
    return validate_connector(raw, file="hr.yaml", home=Home(home))


@pytest.fixture
async def verified(hr_url: str, tmp_path: Path) -> AsyncIterator[Any]:
    connectors: list[SqlConnector] = []

    async def run(**changes: Any) -> tuple[SqlConnector, list[TargetProblem]]:
        connector = SqlConnector(config_of(hr_file(hr_url, **changes), tmp_path), home=tmp_path)
        connectors.append(connector)
        await connector.open()
        return connector, await connector.verify()

    yield run
    for connector in connectors:
        await connector.close()


def by_key(problems: list[TargetProblem]) -> dict[str, TargetProblem]:
    return {problem.where: problem for problem in problems}


@pytest.mark.anyio
async def test_a_file_that_matches_the_schema_has_no_problem(verified: Any) -> None:
    _, problems = await verified()
    assert problems == []


@pytest.mark.anyio
async def test_empty_member_keys_are_named_with_the_columns_and_their_foreign_keys(verified: Any) -> None:
    members = {"table": "HrTeamMembers", "group_key": "", "member_key": ""}
    _, problems = await verified(Group={"members": members})
    found = by_key(problems)
    assert set(found) == {"object_types.Group.members.group_key", "object_types.Group.members.member_key"}
    group_key = found["object_types.Group.members.group_key"]
    assert group_key.object_type == "Group"
    assert "no column set in table 'HrTeamMembers'" in group_key.problem
    assert "TeamRef (-> HrTeams.TeamId)" in group_key.fix
    assert "PersonRef (-> HrPeople.PersonId)" in group_key.fix


@pytest.mark.anyio
async def test_a_broken_group_leaves_users_served(verified: Any) -> None:
    members = {"table": "HrTeamMembers", "group_key": "", "member_key": ""}
    connector, _ = await verified(Group={"members": members})
    assert (await connector.search("User", SearchQuery())).total >= 0
    with pytest.raises(TargetMismatch, match=r"Group is not served: .*members\.group_key"):
        await connector.search("Group", SearchQuery())


@pytest.mark.anyio
async def test_missing_tables_and_columns_are_each_named_with_a_suggestion(verified: Any) -> None:
    attributes = {"PersonId": {}, "Logon": {"scim": "userName"}, "Badge": {}, "Number": {}}
    _, problems = await verified(User={"attributes": attributes}, Group={"table": "HrTeam"})
    found = by_key(problems)
    assert "column 'Logon' not found in table 'HrPeople'" in found["object_types.User.attributes.Logon"].problem
    assert "'Login'" in found["object_types.User.attributes.Logon"].fix
    assert "table 'HrTeam' not found" in found["object_types.Group.table"].problem
    assert "'HrTeams'" in found["object_types.Group.table"].fix


@pytest.mark.anyio
async def test_unmapped_not_null_columns_without_default_are_reported(verified: Any) -> None:
    attributes = {"PersonId": {}, "Login": {"scim": "userName"}, "Number": {"type": "integer"}}
    _, problems = await verified(User={"attributes": attributes})
    found = by_key(problems)
    assert list(found) == ["object_types.User.attributes.Badge"]  # Enabled has a default, GivenName is nullable
    assert "NOT NULL without a default" in found["object_types.User.attributes.Badge"].problem


@pytest.mark.anyio
async def test_an_anchor_nobody_can_produce_is_reported(verified: Any) -> None:
    _, problems = await verified(
        User={"anchor": {"attribute": "PersonId", "generate": "target"}},
        Group={"anchor": {"attribute": "TeamId", "generate": "uuid"}},
    )
    found = by_key(problems)
    assert "has no default, identity or auto-increment" in found["object_types.User.anchor.generate"].problem
    assert "generate: uuid" in found["object_types.User.anchor.generate"].fix
    assert "a 36-character UUID, but column 'TeamId' is INTEGER" in found["object_types.Group.anchor.generate"].problem


@pytest.mark.anyio
async def test_a_missing_child_table_key_is_reported(verified: Any) -> None:
    attributes = {
        "PersonId": {},
        "Login": {"scim": "userName"},
        "Badge": {},
        "Number": {},
        "phones": {"type": "complex", "multi_valued": True, "sub_attributes": ["value"]},
    }
    child = {"phones": {"table": "HrTeamMembers", "key": "Person", "columns": {"value": "TeamRef"}}}
    _, problems = await verified(User={"attributes": attributes, "child_tables": child})
    found = by_key(problems)
    assert "column 'Person' not found" in found["object_types.User.child_tables.phones.key"].problem
    assert "'PersonRef'" in found["object_types.User.child_tables.phones.key"].fix


@pytest.fixture(
    params=[
        "sqlite_url",
        pytest.param("postgres_url", marks=pytest.mark.postgres),
        pytest.param("mariadb_url", marks=pytest.mark.mariadb),
    ]
)
def demo_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = request.getfixturevalue(request.param)
    asyncio.run(create_demo_tables(url, tmp_path_factory.mktemp("home")))
    return url


@pytest.mark.anyio
async def test_the_demo_connector_verifies_clean(demo_url: str, tmp_path: Path) -> None:
    connector = SqlConnector(demo_connector_config("demo", demo_url), home=tmp_path)
    try:
        assert await connector.verify() == []
    finally:
        await connector.close()


@pytest.mark.anyio
async def test_a_column_added_to_the_database_is_served_after_the_next_check(hr_url: str, tmp_path: Path) -> None:
    table = f"HrFix{secrets.token_hex(4)}"
    engine = create_engine(_sync(hr_url))
    quoted = engine.dialect.identifier_preparer.quote  # DDL on names this test made up
    with engine.begin() as conn:
        conn.execute(
            text(
                f"CREATE TABLE {quoted(table)} ({quoted('Id')} VARCHAR(36) PRIMARY KEY, {quoted('Login')} VARCHAR(64))"
            )
        )
    attributes = {"Id": {}, "Login": {"scim": "userName"}, "Nick": {"scim": "nickName"}}
    raw = hr_file(hr_url, User={"table": table, "anchor": {"attribute": "Id"}, "attributes": attributes})
    del raw["object_types"]["Group"]
    connector = SqlConnector(config_of(raw, tmp_path), home=tmp_path)
    try:
        assert list(by_key(await connector.verify())) == ["object_types.User.attributes.Nick"]
        with pytest.raises(TargetMismatch):
            await connector.search("User", SearchQuery())
        with engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {quoted(table)} ADD COLUMN {quoted('Nick')} VARCHAR(64)"))
        assert await connector.verify() == []
        assert (await connector.search("User", SearchQuery())).total == 0
    finally:
        await connector.close()
        engine.dispose()
