"""The SQL connector against real databases: the connector contract on SQLite, PostgreSQL and MariaDB (demo
schema), plus SQL-only rules: timestamps, a target that is down, discovery, configuration errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from ecmahost.config.model import AttributeType
from ecmahost.connectors.errors import ConfigurationError, TargetUnavailable
from ecmahost.connectors.query import Change, Compare, Op, SearchQuery
from ecmahost.connectors.sql import SqlConnection, SqlConnector
from ecmahost.connectors.sql.compile import compile_filter
from ecmahost.connectors.sql.demo_schema import create_demo_tables, demo_connector_config

from contract import ConnectorContract, ContractNames

DEMO_NAMES = ContractNames(
    login="ContosoLogin",
    given_name="FirstName",
    family_name="LastName",
    email="Email",
    group_name="DisplayName",
    boolean="Active",
    complex="PhoneNumbers",
)


def _demo_database(url: str, home: Path) -> str:
    asyncio.run(create_demo_tables(url, home))
    return url


@pytest.fixture(scope="session")
def sqlite_demo(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _demo_database(sqlite_url, tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="session")
def postgres_demo(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _demo_database(postgres_url, tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="session")
def mariadb_demo(mariadb_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _demo_database(mariadb_url, tmp_path_factory.mktemp("home"))


async def _opened(url: str, home: Path) -> SqlConnector:
    connector = SqlConnector(demo_connector_config("demo", url), home=home)
    await connector.open()
    return connector


class SqlContract(ConnectorContract):
    @pytest.fixture
    def contract_names(self) -> ContractNames:
        return DEMO_NAMES


class TestSqliteContract(SqlContract):
    @pytest.fixture
    async def contract_connector(self, sqlite_demo: str, tmp_path: Path) -> AsyncIterator[SqlConnector]:
        connector = await _opened(sqlite_demo, tmp_path)
        yield connector
        await connector.close()


@pytest.mark.postgres
class TestPostgresContract(SqlContract):
    @pytest.fixture
    async def contract_connector(self, postgres_demo: str, tmp_path: Path) -> AsyncIterator[SqlConnector]:
        connector = await _opened(postgres_demo, tmp_path)
        yield connector
        await connector.close()


@pytest.mark.mariadb
class TestMariadbContract(SqlContract):
    @pytest.fixture
    async def contract_connector(self, mariadb_demo: str, tmp_path: Path) -> AsyncIterator[SqlConnector]:
        connector = await _opened(mariadb_demo, tmp_path)
        yield connector
        await connector.close()


# -- SQL-only rules, on SQLite (fast) and, where the driver matters, on the servers -----------------------------
@pytest.mark.anyio
async def test_timestamps_are_maintained_in_utc(sqlite_demo: str, tmp_path: Path) -> None:
    connector = await _opened(sqlite_demo, tmp_path)
    try:
        before = datetime.now(UTC).replace(microsecond=0)
        created = await connector.create("User", {"ContosoLogin": f"ts-{time.time_ns()}"})
        assert created["CreatedAt"].tzinfo is not None
        assert created["CreatedAt"] >= before
        assert created["Active"] is True
        assert created["__meta_created__"] == created["CreatedAt"]
        only_name = await connector.get("User", created["InternalGUID"], frozenset({"FirstName"}))
        assert only_name["__meta_modified__"] == created["ModifiedAt"]
        await connector.update("User", created["InternalGUID"], _set(FirstName="Later"))
        updated = await connector.get("User", created["InternalGUID"])
        assert updated["ModifiedAt"] >= created["ModifiedAt"]
        assert updated["CreatedAt"] == created["CreatedAt"]
    finally:
        await connector.close()


@pytest.mark.anyio
@pytest.mark.parametrize("url", ["postgresql://postgres@127.0.0.1:1/x", "mysql://root@127.0.0.1:1/x"])
async def test_target_down_raises_target_unavailable_quickly(url: str, tmp_path: Path) -> None:
    config = demo_connector_config("down", url).model_copy(
        update={"connection": SqlConnection(url=url, connect_timeout_seconds=2)}
    )
    connector = SqlConnector(config, home=tmp_path)
    await connector.open()
    try:
        started = time.monotonic()
        with pytest.raises(TargetUnavailable):
            await connector.search("User", SearchQuery())
        with pytest.raises(TargetUnavailable):
            await connector.check()
        assert time.monotonic() - started < 2 * (2 + 1)
    finally:
        await connector.close()


@pytest.mark.anyio
async def test_unique_violation_names_the_column_not_the_value(sqlite_demo: str, tmp_path: Path) -> None:
    connector = await _opened(sqlite_demo, tmp_path)
    try:
        login = f"dup-{time.time_ns()}"
        await connector.create("User", {"ContosoLogin": login})
        with pytest.raises(Exception, match="ContosoLogin") as raised:
            await connector.create("User", {"ContosoLogin": login})
        assert login not in str(raised.value)
    finally:
        await connector.close()


@pytest.mark.anyio
async def test_missing_table_or_column_is_a_configuration_error(sqlite_demo: str, tmp_path: Path) -> None:
    config = demo_connector_config("demo", sqlite_demo)
    user = config.object_types["User"]
    broken = user.model_copy(update={"attributes": {**user.attributes, "NoSuchColumn": user.attributes["Title"]}})
    connector = SqlConnector(config.model_copy(update={"object_types": {"User": broken}}), home=tmp_path)
    await connector.open()
    try:
        with pytest.raises(ConfigurationError, match=r"NoSuchColumn.*object_types\.User\.attributes\.NoSuchColumn"):
            await connector.search("User", SearchQuery())
    finally:
        await connector.close()


@pytest.mark.anyio
async def test_complex_attribute_without_child_table_is_a_configuration_error(sqlite_demo: str, tmp_path: Path) -> None:
    config = demo_connector_config("demo", sqlite_demo)
    user = config.object_types["User"]
    target = user.target.model_copy(update={"child_tables": {}})
    broken = user.model_copy(update={"target": target})
    connector = SqlConnector(config.model_copy(update={"object_types": {"User": broken}}), home=tmp_path)
    try:
        with pytest.raises(ConfigurationError, match="PhoneNumbers"):
            await connector.check()
    finally:
        await connector.close()


@pytest.fixture(
    params=[
        "sqlite_demo",
        pytest.param("postgres_demo", marks=pytest.mark.postgres),
        pytest.param("mariadb_demo", marks=pytest.mark.mariadb),
    ]
)
def any_demo(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(request.param)


@pytest.mark.anyio
async def test_discovery_finds_the_demo_tables_keys_and_types(any_demo: str, tmp_path: Path) -> None:
    connector = await _opened(any_demo, tmp_path)
    try:
        await connector.check()
        schema = await connector.discover()
    finally:
        await connector.close()
    classes = {c.name: c for c in schema.object_classes}
    assert {"Employees", "EmployeePhoneNumbers", "Groups", "GroupMembers"} <= classes.keys()
    employees = {a.name: a for a in classes["Employees"].attributes}
    assert employees["InternalGUID"].primary_key
    assert employees["ContosoLogin"].unique
    assert employees["ContosoLogin"].required
    assert not employees["FirstName"].required
    assert employees["Active"].type is AttributeType.BOOLEAN
    assert employees["Active"].generated
    assert employees["CreatedAt"].type is AttributeType.DATETIME
    phones = {a.name: a for a in classes["EmployeePhoneNumbers"].attributes}
    assert phones["Id"].generated
    assert phones["Id"].type is AttributeType.INTEGER
    assert schema.detail["dialect"]


@pytest.mark.anyio
async def test_case_insensitive_eq_uses_the_lower_index_on_postgres(postgres_demo: str, tmp_path: Path) -> None:

    connector = await _opened(postgres_demo, tmp_path)
    try:
        tables = await connector._object_tables("User")
        where = compile_filter(Compare("ContosoLogin", Op.EQ, "X", case_exact=False), tables, "postgresql")
        async with connector._require_engine().connect() as conn:
            await conn.execute(text("SET enable_seqscan = off"))
            compiled = select(tables.anchor).where(where).compile(conn.sync_engine)
            params = tuple(compiled.params[name] for name in compiled.positiontup or ())
            plan = await conn.exec_driver_sql(f"EXPLAIN {compiled}", params)
            assert "ix_Employees_lower_ContosoLogin" in " ".join(str(r[0]) for r in plan)
    finally:
        await connector.close()


def _set(**values: object) -> Change:
    return Change(set=dict(values))


@pytest.mark.anyio
@pytest.mark.postgres
async def test_pool_status_reports_connections_for_metrics(postgres_url: str, tmp_path: Path) -> None:
    await create_demo_tables(postgres_url, tmp_path)
    connector = SqlConnector(demo_connector_config("pool", postgres_url), home=tmp_path)
    await connector.open()
    try:
        await connector.search("User", SearchQuery(limit=1))
        status = connector.pool_status()
        assert status["size"] >= 1
        assert status["checked_out"] == 0, "connections go back to the pool after each request"
    finally:
        await connector.close()
    assert connector.pool_status() == {}
