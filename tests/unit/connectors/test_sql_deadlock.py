"""Which database errors mark a deadlock victim, the only write failure the SQL connector runs again."""

from __future__ import annotations

import pymysql
from sqlalchemy import exc as sa_exc

from ecmahost.connectors.sql.errors import is_deadlock


class PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__("deadlock detected")
        self.sqlstate = sqlstate


def wrapped(orig: BaseException) -> sa_exc.DBAPIError:
    return sa_exc.DBAPIError("UPDATE ...", {}, orig)


def test_mariadb_1213_and_postgresql_40p01_are_deadlocks() -> None:
    assert is_deadlock(wrapped(pymysql.err.OperationalError(1213, "Deadlock found when trying to get lock")))
    assert is_deadlock(wrapped(PgError("40P01")))
    assert is_deadlock(wrapped(PgError("40001")))


def test_other_errors_are_not_retried() -> None:
    assert not is_deadlock(wrapped(pymysql.err.IntegrityError(1062, "Duplicate entry")))
    assert not is_deadlock(wrapped(PgError("23505")))
    assert not is_deadlock(RuntimeError("not from the database"))
