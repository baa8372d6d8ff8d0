"""Throw-away databases on the local PostgreSQL and MariaDB servers, one per test session, dropped at the end.

Names are random (`ecmahost_t_<hex>`), so parallel and CI runs never collide. The server URLs can be changed
with ECMAHOST_TEST_POSTGRES_URL and ECMAHOST_TEST_MARIADB_URL (admin URLs, sync drivers). When a server is
unreachable the tests that need it are skipped with the reason, unless ECMAHOST_TEST_REQUIRE_DATABASES=1.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import OperationalError

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MARIADB_ADMIN_URL = "mysql+pymysql://root@127.0.0.1:3306/"


def random_database_name() -> str:
    return f"ecmahost_t_{secrets.token_hex(6)}"


@contextmanager
def throwaway_database(admin_url: str, public_driver: str) -> Iterator[str]:
    """Create a database with a random name; yield its sync-style URL (`public_driver://...`); drop it."""
    admin = make_url(admin_url)
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    name = random_database_name()
    quoted = engine.dialect.identifier_preparer.quote(name)
    try:
        _execute(engine, f"CREATE DATABASE {quoted}")
    except OperationalError as exc:
        engine.dispose()
        if os.environ.get("ECMAHOST_TEST_REQUIRE_DATABASES") == "1":
            raise
        pytest.skip(f"database server at {admin.render_as_string()} unreachable: {type(exc.orig).__name__}")
    try:
        yield _database_url(admin, public_driver, name).render_as_string(hide_password=False)
    finally:
        drop = f"DROP DATABASE IF EXISTS {quoted}"
        _execute(engine, drop + " WITH (FORCE)" if engine.dialect.name == "postgresql" else drop)
        engine.dispose()


def _execute(engine: Engine, statement: str) -> None:
    # DDL on a database name we generated and quoted: no user value reaches this statement.
    with engine.connect() as conn:
        conn.execute(text(statement))


def _database_url(admin: URL, driver: str, name: str) -> URL:
    return admin.set(drivername=driver, database=name)


def postgres_database() -> AbstractContextManager[str]:
    return throwaway_database(os.environ.get("ECMAHOST_TEST_POSTGRES_URL", POSTGRES_ADMIN_URL), "postgresql")


def mariadb_database() -> AbstractContextManager[str]:
    return throwaway_database(os.environ.get("ECMAHOST_TEST_MARIADB_URL", MARIADB_ADMIN_URL), "mysql")
