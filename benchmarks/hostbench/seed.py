"""The target database: (re)create it, create the demo tables, and fill them quickly with COPY.

Seeded rows are deterministic so the load scripts can name them without a list: user `i` (0 <= i < size) has
the id `user_id(i)` and the userName `user<i>@contoso.com`, a work email, enterprise attributes and one phone
number; group `g` has the id `group_id(g)`, and user `i` is a member of group `i % groups`. This module does
not start the host or send HTTP requests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
from psycopg import sql
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from ecmahost.connectors.sql.demo_schema import demo_metadata

CHUNK = 10_000
USER_COLUMNS = (
    "InternalGUID",
    "ContosoLogin",
    "FirstName",
    "LastName",
    "Email",
    "ExternalId",
    "DisplayName",
    "Title",
    "Department",
    "EmployeeNumber",
    "CostCenter",
    "Organization",
    "PreferredLanguage",
    "Active",
    "IsSoftDeleted",
    "CreatedAt",
    "ModifiedAt",
)
DEPARTMENTS = ("Sales", "Engineering", "Finance", "Support", "Marketing", "Legal", "Operations", "HR")


def user_id(index: int) -> str:
    return f"00000000-0000-4000-8000-{index:012d}"


def group_id(index: int) -> str:
    return f"00000000-0000-4000-9000-{index:012d}"


def seeded_groups(size: int) -> int:
    return max(size // 1000, 1)


@dataclass(frozen=True, slots=True)
class SeedResult:
    users: int
    groups: int
    memberships: int
    seconds: float


def database_url(admin_url: str, database: str) -> str:
    """The sync-style URL of `database` on the server of `admin_url` (what the connector file stores)."""
    return make_url(admin_url).set(database=database).render_as_string(hide_password=False)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def recreate_database(admin_url: str, database: str) -> None:
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def drop_database(admin_url: str, database: str) -> None:
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))


def create_tables(url: str) -> None:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    try:
        demo_metadata().create_all(engine)
    finally:
        engine.dispose()


def _user_line(index: int, stamp: str) -> str:
    login = f"user{index}@contoso.com"
    values = (
        user_id(index),
        login,
        f"First{index}",
        f"Last{index}",
        login,
        f"ext-{index}",
        f"First{index} Last{index}",
        "Engineer" if index % 3 else "Manager",
        DEPARTMENTS[index % len(DEPARTMENTS)],
        str(100_000 + index),
        f"CC{index % 50:03d}",
        "Contoso",
        "en-US",
        "t",
        "f",
        stamp,
        stamp,
    )
    return "\t".join(values) + "\n"


def _chunks(total: int, render: object) -> Iterator[tuple[int, str]]:
    for start in range(0, total, CHUNK):
        stop = min(start + CHUNK, total)
        yield stop - start, "".join(render(i) for i in range(start, stop))  # type: ignore[operator]


def _copy(
    conn: psycopg.Connection, table: str, columns: tuple[str, ...], total: int, render: object, bar: Progress
) -> None:
    task = bar.add_task(table, total=total)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for count, block in _chunks(total, render):
            copy.write(block)
            bar.advance(task, count)


def seed(url: str, size: int) -> SeedResult:
    """Fill the (empty) demo tables at `url` with `size` users, their phones, groups and memberships."""
    started = time.perf_counter()
    groups = seeded_groups(size)
    stamp = "2026-01-01 00:00:00+00"
    columns = [
        TextColumn("{task.description:<22}"),
        BarColumn(),
        TextColumn("{task.completed:>9,}"),
        TimeRemainingColumn(),
    ]
    with psycopg.connect(_libpq(url)) as conn, Progress(*columns) as bar:
        _copy(conn, "Employees", USER_COLUMNS, size, lambda i: _user_line(i, stamp), bar)
        _copy(
            conn,
            "EmployeePhoneNumbers",
            ("EmployeeGUID", "Type", "Value", "IsPrimary"),
            size,
            lambda i: f"{user_id(i)}\twork\t+1 555 {i:07d}\tt\n",
            bar,
        )
        _copy(
            conn,
            "Groups",
            ("GroupGUID", "DisplayName", "ExternalId", "CreatedAt", "ModifiedAt"),
            groups,
            lambda g: f"{group_id(g)}\tSeed group {g}\tseed-{g}\t{stamp}\t{stamp}\n",
            bar,
        )
        _copy(
            conn,
            "GroupMembers",
            ("GroupGUID", "MemberGUID"),
            size,
            lambda i: f"{group_id(i % groups)}\t{user_id(i)}\n",
            bar,
        )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return SeedResult(size, groups, size, time.perf_counter() - started)
