"""The SQL connector's direct path on PostgreSQL (`connectors.sql.direct`: statements compiled by SQLAlchemy, run on
asyncpg connections from `pg_pool`): it is the path requests take unless `direct: false`, it gives the same records
as SQLAlchemy's execution, it translates asyncpg's errors like SQLAlchemy's, it heals after the server dropped its
connections, it says when its pool is exhausted, a cancelled query leaves no half-used connection, and a deadlock
victim runs again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from ecmahost.config.model import ConnectorConfig, ObjectTypeConfig
from ecmahost.connectors.errors import ConstraintViolation, ObjectExists, ObjectNotFound, TargetUnavailable
from ecmahost.connectors.query import MEMBERS, Change, Compare, Op, SearchQuery
from ecmahost.connectors.sql import SqlConnection, SqlConnector
from ecmahost.connectors.sql.demo_schema import create_demo_tables, demo_connector_config
from ecmahost.connectors.sql.direct import DirectPool
from ecmahost.connectors.sql.models import SqlObjectType

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]
PHONES = [
    {"value": "+1 555 0100", "type": "work", "primary": True},
    {"value": "+1 555 0101", "type": "mobile", "primary": False},
]
WITH_MEMBERS = frozenset({"DisplayName", MEMBERS})
UNKNOWN = "00000000-0000-4000-8000-00000000dead"


@pytest.fixture(scope="module")
def demo_url(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    asyncio.run(create_demo_tables(postgres_url, tmp_path_factory.mktemp("home")))
    return postgres_url


@asynccontextmanager
async def _opened(url: str, home: Path, **connection: Any) -> AsyncIterator[SqlConnector]:
    """The demo connector on `url`, with `connection` settings (`direct`, `pool_size`, ...) on top of the URL."""
    config = demo_connector_config("direct", url)
    config = config.model_copy(update={"connection": SqlConnection(url=url, **connection)})
    connector = SqlConnector(config, home=home)
    await connector.open()
    try:
        yield connector
    finally:
        await connector.close()


def _login(tag: str) -> str:
    return f"{tag}-{time.time_ns()}@contoso.com"


# -- which path --------------------------------------------------------------------------------------------------
async def test_requests_run_on_the_direct_pool_and_not_on_sqlalchemys(demo_url: str, tmp_path: Path) -> None:
    async with _opened(demo_url, tmp_path) as connector:
        assert isinstance(connector._executor, DirectPool)
        created = await connector.create("User", {"ContosoLogin": _login("which"), "PhoneNumbers": PHONES})
        engine = connector._require_engine()
        await engine.dispose()  # SQLAlchemy's pool served reflection; from here on it must stay empty
        await connector.search("User", SearchQuery(filter=Compare("ContosoLogin", Op.EQ, created["ContosoLogin"])))
        await connector.update("User", created["InternalGUID"], Change(set={"Title": "Direct"}))
        await connector.delete("User", created["InternalGUID"])
        sqlalchemy_pool: Any = engine.pool
        assert (sqlalchemy_pool.checkedin(), sqlalchemy_pool.checkedout()) == (0, 0)
        status = connector.pool_status()
        assert status == connector._executor.status()
        assert status["size"] >= 1
        assert status["checked_out"] == 0, "connections go back to the pool after each request"


async def test_direct_false_runs_requests_through_sqlalchemy(demo_url: str, tmp_path: Path) -> None:
    async with _opened(demo_url, tmp_path, direct=False) as connector:
        assert not isinstance(connector._executor, DirectPool)
        await connector.search("User", SearchQuery(limit=1))
        sqlalchemy_pool: Any = connector._require_engine().pool
        assert sqlalchemy_pool.checkedin() >= 1
        assert connector.pool_status()["checked_out"] == 0


# -- same records either way -------------------------------------------------------------------------------------
async def _provisioning_cycle(connector: SqlConnector, run: str) -> tuple[list[Any], dict[str, str]]:
    """What each step of a provisioning cycle reads back, and the labels of the run's anchors and names."""
    seen: list[Any] = []
    alice = await connector.create(
        "User", {"ContosoLogin": f"alice-{run}@contoso.com", "FirstName": "Alice", "PhoneNumbers": PHONES}
    )
    bob = await connector.create("User", {"ContosoLogin": f"bob-{run}@contoso.com", "Department": "Sales"})
    carol = await connector.create("User", {"ContosoLogin": f"carol-{run}@contoso.com", "Active": False})
    seen += [alice, bob, carol]
    a, b, c = alice["InternalGUID"], bob["InternalGUID"], carol["InternalGUID"]
    login = Compare("ContosoLogin", Op.EQ, f"ALICE-{run}@CONTOSO.COM", case_exact=False)
    found = await connector.search("User", SearchQuery(filter=login, limit=50))
    seen.append((found.total, found.records))
    seen.append(await connector.get("User", a))
    await connector.update("User", a, Change(set={"Title": "Boss", "LastName": "Later"}))
    seen.append(await connector.get("User", a))
    phone = [{"value": "+1 555 0199", "type": "home", "primary": True}]
    await connector.update("User", a, Change(set={"Title": "Chief"}, replace={"PhoneNumbers": phone}))
    seen.append(await connector.get("User", a))
    group = await connector.create("Group", {"DisplayName": f"team-{run}", MEMBERS: [a, b]})
    g = group["GroupGUID"]
    seen.append(group)
    await connector.update("Group", g, Change(add_members=[c, a], remove_members=[b, UNKNOWN]))
    seen.append(await connector.get("Group", g, WITH_MEMBERS))
    await connector.delete("User", a)
    seen.append(await connector.get("Group", g, WITH_MEMBERS))
    with pytest.raises(ObjectNotFound):
        await connector.get("User", a)
    await connector.delete("Group", g)
    with pytest.raises(ObjectNotFound):
        await connector.get("Group", g)
    seen.append(await connector._read(lambda conn: _membership_rows(conn, connector, g)))
    return seen, {a: "<alice>", b: "<bob>", c: "<carol>", g: "<group>", run: "<run>"}


async def _membership_rows(conn: Any, connector: SqlConnector, group: str) -> list[tuple[Any, ...]]:
    spec = (await connector._object_tables("Group")).members
    assert spec is not None
    return list(await conn.fetch(select(spec.table).where(spec.group_key == group)))


def _neutral(value: Any, labels: dict[str, str]) -> Any:
    """`value` with the run's anchors and names replaced by labels, times by their kind, members sorted, and each
    other scalar tagged with its type (so `True` and `1` differ)."""
    if isinstance(value, datetime):
        assert value.tzinfo is not None
        return "<aware time>"
    if isinstance(value, str):
        for real, label in labels.items():
            value = value.replace(real, label)
        return value
    if isinstance(value, dict):
        neutral = {key: _neutral(item, labels) for key, item in value.items()}
        if MEMBERS in neutral:
            neutral[MEMBERS] = sorted(neutral[MEMBERS])
        return neutral
    if isinstance(value, list | tuple):
        return [_neutral(item, labels) for item in value]
    return (type(value).__name__, value)


async def test_the_direct_path_gives_the_same_records_as_sqlalchemy(demo_url: str, tmp_path: Path) -> None:
    cycles = {}
    for direct in (True, False):
        async with _opened(demo_url, tmp_path, direct=direct) as connector:
            assert isinstance(connector._executor, DirectPool) is direct
            seen, labels = await _provisioning_cycle(connector, f"{direct}-{time.time_ns()}")
            cycles[direct] = _neutral(seen, labels)
    assert cycles[True] == cycles[False]
    searched, alice_after_delete_in_group = cycles[True][3], cycles[True][-2]
    assert searched[0] == ("int", 1)
    assert alice_after_delete_in_group[MEMBERS] == ["<carol>"]
    assert cycles[True][-1] == []


# -- errors ------------------------------------------------------------------------------------------------------
async def test_a_taken_login_is_object_exists_naming_the_column_not_the_value(demo_url: str, tmp_path: Path) -> None:
    async with _opened(demo_url, tmp_path) as connector:
        login = _login("dup")
        await connector.create("User", {"ContosoLogin": login})
        for record in ({"ContosoLogin": login}, {"ContosoLogin": login, "PhoneNumbers": PHONES}):  # autocommit, txn
            with pytest.raises(ObjectExists) as raised:
                await connector.create("User", record)
            assert "ContosoLogin" in raised.value.detail
            assert login not in raised.value.detail


async def test_a_too_long_or_missing_value_is_a_constraint_violation(demo_url: str, tmp_path: Path) -> None:
    async with _opened(demo_url, tmp_path) as connector:
        too_long = "x" * 51  # FirstName is VARCHAR(50)
        with pytest.raises(ConstraintViolation) as raised:
            await connector.create("User", {"ContosoLogin": _login("long"), "FirstName": too_long})
        assert too_long not in raised.value.detail
        created = await connector.create("User", {"ContosoLogin": _login("null")})
        with pytest.raises(ConstraintViolation, match="ContosoLogin"):
            await connector.update("User", created["InternalGUID"], Change(set={"ContosoLogin": None}))
        assert (await connector.get("User", created["InternalGUID"]))["ContosoLogin"] == created["ContosoLogin"]


async def test_an_unknown_anchor_is_object_not_found(demo_url: str, tmp_path: Path) -> None:
    async with _opened(demo_url, tmp_path) as connector:
        with pytest.raises(ObjectNotFound):
            await connector.get("User", UNKNOWN)
        with pytest.raises(ObjectNotFound):
            await connector.update("User", UNKNOWN, Change(set={"Title": "Nobody"}))
        with pytest.raises(ObjectNotFound):
            await connector.update("User", UNKNOWN, Change(replace={"PhoneNumbers": PHONES}))
        with pytest.raises(ObjectNotFound):
            await connector.delete("User", UNKNOWN)


# -- healing, pool, deadlocks ------------------------------------------------------------------------------------
def _terminate_backends(url: str) -> int:
    """Have the server end every session of the database at `url`, as a restart does; return how many.

    Synchronous on purpose: it blocks the event loop, so the pooled connections have not yet read the server's
    goodbye when the next request takes one (the race a restart under load causes)."""
    target = make_url(url)
    admin_url = target.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (target.database,),
        ).fetchone()
        for _ in range(100):
            left = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (target.database,))
            if left.fetchone() == (0,):
                break
            time.sleep(0.05)
    assert ended is not None
    return int(ended[0])


async def test_after_the_server_ended_every_session_a_read_and_a_write_succeed(demo_url: str, tmp_path: Path) -> None:
    async with _opened(demo_url, tmp_path) as connector:
        created = await connector.create("User", {"ContosoLogin": _login("heal"), "PhoneNumbers": PHONES})
        anchor = created["InternalGUID"]
        await asyncio.gather(*(connector.get("User", anchor) for _ in range(3)))
        assert connector.pool_status()["size"] == 3
        assert _terminate_backends(demo_url) >= 3
        assert await connector.get("User", anchor) == created
        await connector.update("User", anchor, Change(set={"Title": "Healed"}))
        assert (await connector.get("User", anchor))["Title"] == "Healed"


async def test_a_read_that_finds_no_free_connection_says_the_pool_is_exhausted(demo_url: str, tmp_path: Path) -> None:
    async with _opened(demo_url, tmp_path, pool_size=1, pool_timeout_seconds=0.3) as connector:
        created = await connector.create("User", {"ContosoLogin": _login("pool")})
        direct = connector._executor
        assert isinstance(direct, DirectPool)
        async with direct.connection():  # the only connection: the read must give up, not wait on
            with pytest.raises(TargetUnavailable, match="pool is exhausted"):
                await connector.get("User", created["InternalGUID"])
        assert (await connector.get("User", created["InternalGUID"]))["InternalGUID"] == created["InternalGUID"]


async def test_a_request_cancelled_mid_query_leaves_no_half_used_connection_behind(
    demo_url: str, tmp_path: Path
) -> None:
    """A request cancelled by its time budget while its query runs: the next request on the pool's only connection
    must not find it mid-operation ("another operation is in progress")."""
    async with _opened(demo_url, tmp_path, pool_size=1) as connector:
        created = await connector.create("User", {"ContosoLogin": _login("cancel")})
        direct = connector._executor
        assert isinstance(direct, DirectPool)

        async def slow_request() -> None:
            async with direct.connection() as conn:
                await conn._raw.fetchval("SELECT pg_sleep(5)")

        request = asyncio.create_task(slow_request())
        await asyncio.sleep(0.2)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        assert (await connector.get("User", created["InternalGUID"]))["InternalGUID"] == created["InternalGUID"]
        assert connector.pool_status()["size"] == 1


async def test_a_deadlock_victim_runs_again_and_both_transactions_commit(demo_url: str, tmp_path: Path) -> None:
    """Two transactions lock two rows in opposite orders; PostgreSQL rolls one back (40P01) and it runs again."""
    async with _opened(demo_url, tmp_path) as connector:
        first = (await connector.create("User", {"ContosoLogin": _login("lock1")}))["InternalGUID"]
        second = (await connector.create("User", {"ContosoLogin": _login("lock2")}))["InternalGUID"]
        employees = (await connector._object_tables("User")).table
        holding = {first: asyncio.Event(), second: asyncio.Event()}
        runs = {first: 0, second: 0}

        def locking(mine: str, theirs: str) -> Any:
            async def statements(conn: Any) -> None:
                runs[mine] += 1
                await conn.execute(update(employees).where(employees.c.InternalGUID == mine).values(Title=mine))
                if runs[mine] == 1:  # the first run waits until the other holds its row: a sure deadlock
                    holding[mine].set()
                    await holding[theirs].wait()
                await conn.execute(update(employees).where(employees.c.InternalGUID == theirs).values(Title=mine))

            return statements

        async with asyncio.timeout(20):
            await asyncio.gather(
                connector._transaction(locking(first, second)), connector._transaction(locking(second, first))
            )
        assert sorted(runs.values()) == [1, 2]
        victim = first if runs[first] == 2 else second  # it ran again after the other committed: its titles stand
        titles = {(await connector.get("User", anchor))["Title"] for anchor in (first, second)}
        assert titles == {victim}


async def test_a_user_is_deleted_in_one_statement_even_where_foreign_keys_do_not_cascade(
    postgres_url: str, tmp_path: Path
) -> None:
    """The single DELETE with data-modifying CTEs must satisfy plain (NO ACTION) foreign keys from the child and
    membership tables: PostgreSQL checks them when the whole statement has run."""
    libpq = make_url(postgres_url).set(drivername="postgresql").render_as_string(hide_password=False)
    database = f"nocascade_{time.time_ns()}"
    with psycopg.connect(libpq, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    url = make_url(postgres_url).set(database=database).render_as_string(hide_password=False)
    try:
        await create_demo_tables(url, tmp_path)
        target = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(target, autocommit=True) as conn:
            for table, column, parent, key in (
                ("EmployeePhoneNumbers", "EmployeeGUID", "Employees", "InternalGUID"),
                ("GroupMembers", "MemberGUID", "Employees", "InternalGUID"),
            ):
                names = conn.execute(
                    "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
                    (f'"{table}"',),
                ).fetchall()
                for (name,) in names:
                    if column.lower() in name.lower():
                        conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                conn.execute(f'ALTER TABLE "{table}" ADD FOREIGN KEY ("{column}") REFERENCES "{parent}" ("{key}")')
        async with _opened(url, tmp_path) as connector:
            user = await connector.create(
                "User", {"ContosoLogin": _login("fk"), "PhoneNumbers": [{"value": "+1 555 0199", "type": "work"}]}
            )
            group = await connector.create(
                "Group", {"DisplayName": _login("fk-group"), MEMBERS: [user["InternalGUID"]]}
            )
            await connector.delete("User", user["InternalGUID"])
            with pytest.raises(ObjectNotFound):
                await connector.get("User", user["InternalGUID"])
            assert (await connector.get("Group", group["GroupGUID"], frozenset({"GroupGUID", MEMBERS})))[MEMBERS] == []
    finally:
        with psycopg.connect(libpq, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


async def test_numeric_and_float_columns_read_the_same_on_both_paths(postgres_url: str, tmp_path: Path) -> None:
    """SQLAlchemy's asyncpg dialect converts NUMERIC and FLOAT values by the column type the database reports; the
    direct path asks the database for it once per statement (`Plan.describe`) instead of failing to plan."""
    table = f"Gauges_{time.time_ns()}"
    libpq = make_url(postgres_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(
            f'CREATE TABLE "{table}" ("Id" VARCHAR(36) PRIMARY KEY, "Name" VARCHAR(64), "Score" NUMERIC(10, 2), '
            '"Ratio" DOUBLE PRECISION, "Level" INTEGER)'
        )
    user = ObjectTypeConfig.model_validate(
        {
            "anchor": {"attribute": "Id", "generate": "uuid"},
            "attributes": {"Id": {"mutability": "readOnly"}, "Name": {}, "Score": {}, "Ratio": {}, "Level": {}},
            "target": SqlObjectType.model_validate({"table": table}),
        }
    )
    seen = {}
    for direct in (True, False):
        config = ConnectorConfig.model_validate(
            {"name": "gauges", "type": "sql", "connection": SqlConnection(url=postgres_url, direct=direct)}
            | {"object_types": {"User": user}}
        )
        connector = SqlConnector(config, home=tmp_path)
        await connector.open()
        try:
            assert isinstance(connector._executor, DirectPool) is direct
            name = f"g-{direct}"
            created = await connector.create("User", {"Name": name, "Score": 12.5, "Ratio": 0.25, "Level": 3})
            anchor = created.pop("Id")
            first_reads = await asyncio.gather(*(connector.get("User", anchor) for _ in range(4)))  # one new plan
            assert all(read == {**created, "Id": anchor} for read in first_reads)
            found = await connector.search("User", SearchQuery(filter=Compare("Name", Op.EQ, name), limit=5))
            updated = await connector.update("User", anchor, Change(set={"Score": 7, "Ratio": 1.5}))
            read = await connector.get("User", anchor)
            read.pop("Id")
            if updated is not None:
                updated.pop("Id")
            page = await connector.search("User", SearchQuery(filter=Compare("Level", Op.GE, 3), limit=50))
            seen[direct] = (
                created,
                [r["Score"] for r in found.records],
                read,
                [r["Ratio"] for r in page.records if r["Name"] == name],
            )
        finally:
            await connector.close()
    assert seen[True][0] == {"Name": "g-True", "Score": 12.5, "Ratio": 0.25, "Level": 3}
    assert seen[True][2] == {"Name": "g-True", "Score": 7, "Ratio": 1.5, "Level": 3}
    assert seen[True][1:] == (seen[False][1], {**seen[False][2], "Name": "g-True"}, seen[False][3])
