"""Translate database driver errors into the connector's typed errors, at the edge (`raise ... from exc`).

    unique violation                              -> ObjectExists (names the column, never the value)
    NOT NULL, too long, wrong type or range       -> ConstraintViolation naming the column (`attribute`) and the
                                                     `Problem`, found in the driver's fields or message
    foreign key                                   -> ReferenceViolation (the connector then names the missing
                                                     members, `MembersNotFound`)
    check, other integrity errors                 -> ConstraintViolation naming the constraint
    refused, timeout, pool exhausted, server gone -> TargetUnavailable
    missing table or column, no privilege         -> ConfigurationError

No driver message reaches a constraint error's detail (a SCIM client cannot act on "NOT NULL constraint failed"
or a SQLSTATE). It never uses `str()` of a SQLAlchemy error: that text carries the statement's parameters,
which may be secrets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import Enum

from sqlalchemy import exc as sa_exc

from ecmahost.connectors.errors import (
    ConfigurationError,
    ConnectorError,
    ConstraintViolation,
    ObjectExists,
    Problem,
    TargetUnavailable,
)
from ecmahost.deadlines import BudgetedCall

DRIVER_MODULES = ("asyncpg", "pymysql", "aiomysql", "sqlite3", "psycopg", "aiosqlite", "asyncmy")


class _Kind(Enum):
    UNIQUE = "unique"
    NOT_NULL = "not null"
    FOREIGN_KEY = "foreign key"
    TOO_LONG = "too long"
    BAD_VALUE = "bad value"
    CONSTRAINT = "constraint"
    UNAVAILABLE = "unavailable"
    CONFIGURATION = "configuration"


_MYSQL = {
    _Kind.UNIQUE: {1022, 1062, 1586},
    _Kind.NOT_NULL: {1048, 1364},
    _Kind.FOREIGN_KEY: {1451, 1452, 1216, 1217},
    _Kind.TOO_LONG: {1406},
    _Kind.BAD_VALUE: {1366, 1292, 1264, 1265, 1411, 1367},
    _Kind.CONSTRAINT: {3819, 4025},
    _Kind.CONFIGURATION: {1146, 1054, 1049, 1142, 1143, 1044},
    _Kind.UNAVAILABLE: {1045, 1040, 1205, 1213, 1927, 1969, 2002, 2003, 2005, 2006, 2013, 2014, 2055, 3024},
}
_PG = {"23505": _Kind.UNIQUE, "23502": _Kind.NOT_NULL, "23503": _Kind.FOREIGN_KEY, "22001": _Kind.TOO_LONG}
_PG_CONFIGURATION = {"42P01", "42703", "3F000", "42501", "3D000"}
_PG_UNAVAILABLE_CLASSES = ("08", "53", "57", "40", "28", "58", "XX")
_MASK_VALUES = re.compile(r"""(value|entry|syntax for type [\w ]+?|for enum [\w.]+)(:?\s*)(['"])(.*?)\3""")
_SQLITE_UNIQUE_COLUMNS = re.compile(r"UNIQUE constraint failed: (.+)$")
_NAME_IN_QUOTES = re.compile(r"""(?:constraint|key|index) ['"`]([^'"`]+)['"`]""")
_COLUMN = (
    re.compile(r"NOT NULL constraint failed: (?:[^.\s]+\.)*([^.\s]+)$"),  # SQLite
    # MariaDB/MySQL (`db`.`table`.`column` or 'column'), PostgreSQL's NOT NULL message
    re.compile(r"(?:[Cc]olumn|Field) (?:[`'\"][^`'\"]+[`'\"]\.)*[`'\"]([^`'\"]+)[`'\"]"),
    re.compile(r"(?:TEXT|INTEGER|REAL|BLOB|NUMERIC) column (?:[^.\s]+\.)*([^.\s]+)$"),  # SQLite STRICT tables
)
_DETAILS = {
    Problem.REQUIRED: "{} is required by the target: send it or give the column a default",
    Problem.TOO_LONG: "{}: the value is longer than the target column allows; shorten it",
    Problem.BAD_VALUE: "{}: the target refuses the value (wrong type or out of range); send a value of its type",
}
_UNNAMED = {
    Problem.REQUIRED: "the target requires a value the request leaves empty: send every required attribute, or give "
    "the column a default",
    Problem.TOO_LONG: "a value is longer than its target column allows; shorten it",
    Problem.BAD_VALUE: "the target refuses a value (wrong type or out of range); send values of the attributes' types",
}
NAMED_PROBLEMS = frozenset(_DETAILS)
_PROBLEMS = {_Kind.NOT_NULL: Problem.REQUIRED, _Kind.TOO_LONG: Problem.TOO_LONG, _Kind.BAD_VALUE: Problem.BAD_VALUE}


class ReferenceViolation(ConstraintViolation):
    """A foreign key refused the write: a reference to a row that does not exist (or a delete of a row still
    referenced). The connector, which knows what it wrote, names the missing members (`MembersNotFound`)."""


class translated(BudgetedCall):  # lower case: used like the function it replaced, `async with translated(...)`
    """Run one connector operation under `timeout` seconds, translating what the database raises.
    `unique_keys` names the columns of each unique constraint or index, to say which value is taken. A class
    rather than an `@asynccontextmanager` generator: every request passes through one."""

    __slots__ = ("_unique_keys",)

    def __init__(self, timeout: float, unique_keys: Callable[[], Mapping[str, tuple[str, ...]]]) -> None:
        super().__init__(timeout)
        self._unique_keys = unique_keys

    def translate(self, exc: BaseException) -> ConnectorError | None:
        if isinstance(exc, ConnectorError) or not isinstance(exc, Exception):
            return None
        if isinstance(exc, TimeoutError):
            return TargetUnavailable(f"the database did not answer within {self.seconds:g} s")
        return translate(exc, self._unique_keys())


def translate(exc: BaseException, unique_keys: Mapping[str, tuple[str, ...]]) -> ConnectorError | None:
    """The connector error for a database error, or None when `exc` does not come from the database."""
    if isinstance(exc, sa_exc.TimeoutError):
        return TargetUnavailable("no free database connection: the pool is exhausted (raise pool_size?)")
    if isinstance(exc, OSError):
        return TargetUnavailable(f"cannot reach the database: {exc.strerror or type(exc).__name__}")
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return TargetUnavailable("the database connection was lost")
        orig: BaseException = exc.orig if isinstance(exc.orig, BaseException) else exc
        kind = _kind(orig) or _kind_of_wrapper(exc)
    elif type(exc).__module__.split(".")[0] in DRIVER_MODULES:
        orig = exc
        kind = _kind(exc) or _Kind.UNAVAILABLE
    else:
        return None
    message = _mask(_message(orig))
    if kind is _Kind.UNIQUE:
        columns = _unique_columns(orig, message, unique_keys)
        attribute = columns[0] if len(columns) == 1 else None
        return ObjectExists(_unique_detail(columns), attribute=attribute, problem=Problem.TAKEN)
    if kind is _Kind.FOREIGN_KEY:
        return ReferenceViolation(
            "the target refuses a reference to an object that does not exist (or a delete of an object other rows "
            "still refer to)"
        )
    if kind in _PROBLEMS:
        return constraint_error(_PROBLEMS[kind], _column(orig, message))
    if kind is _Kind.CONSTRAINT:
        name = _constraint_name(orig, message)
        named = f" (constraint {name})" if name else ""
        return ConstraintViolation(f"the target refuses the values{named}; check what the target allows")
    if kind is _Kind.CONFIGURATION:
        return ConfigurationError(f"the database rejected the connector's configuration: {message}")
    return TargetUnavailable("the database is unavailable; retry later", reason=message)


MYSQL_DEADLOCK = 1213
PG_DEADLOCK_STATES = ("40P01", "40001")
"""deadlock detected, serialization failure: the database rolled the whole transaction back"""


def is_deadlock(exc: BaseException) -> bool:
    """Whether the database chose this transaction as a deadlock victim (and rolled it back): safe to run again.
    `exc` is SQLAlchemy's wrapper or, on the direct asyncpg path, asyncpg's own error."""
    if isinstance(exc, sa_exc.DBAPIError):
        orig: BaseException = exc.orig if isinstance(exc.orig, BaseException) else exc
    elif type(exc).__module__.split(".")[0] in DRIVER_MODULES:
        orig = exc
    else:
        return False
    cause = orig.__cause__ or orig
    for candidate in (orig, cause):
        args = getattr(candidate, "args", ())
        if args and args[0] == MYSQL_DEADLOCK:
            return True
        if (getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)) in PG_DEADLOCK_STATES:
            return True
    return False


def _kind(orig: BaseException) -> _Kind | None:
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and type(orig).__module__.split(".")[0] in ("pymysql", "aiomysql"):
        return next((kind for kind, codes in _MYSQL.items() if args[0] in codes), None)
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(sqlstate, str) and len(sqlstate) == 5:
        return _pg_kind(sqlstate)
    if type(orig).__module__.split(".")[0] == "sqlite3":
        return _sqlite_kind(str(orig))
    return None


def _pg_kind(sqlstate: str) -> _Kind | None:
    if sqlstate in _PG:
        return _PG[sqlstate]
    if sqlstate.startswith("23"):
        return _Kind.CONSTRAINT
    if sqlstate.startswith("22"):
        return _Kind.BAD_VALUE
    if sqlstate in _PG_CONFIGURATION:
        return _Kind.CONFIGURATION
    if sqlstate.startswith(_PG_UNAVAILABLE_CLASSES):
        return _Kind.UNAVAILABLE
    return None


def _sqlite_kind(message: str) -> _Kind | None:
    if message.startswith("UNIQUE constraint failed"):
        return _Kind.UNIQUE
    if message.startswith("NOT NULL constraint failed"):
        return _Kind.NOT_NULL
    if message.startswith("FOREIGN KEY constraint failed"):
        return _Kind.FOREIGN_KEY
    if "datatype mismatch" in message or message.startswith("cannot store"):
        return _Kind.BAD_VALUE
    if "constraint failed" in message:
        return _Kind.CONSTRAINT
    if message.startswith(("no such table", "no such column")):
        return _Kind.CONFIGURATION
    if "locked" in message or "unable to open" in message or "disk" in message:
        return _Kind.UNAVAILABLE
    return None


def _kind_of_wrapper(exc: sa_exc.DBAPIError) -> _Kind:
    if isinstance(exc, sa_exc.IntegrityError | sa_exc.DataError):
        return _Kind.CONSTRAINT
    if isinstance(exc, sa_exc.ProgrammingError):
        return _Kind.CONFIGURATION
    return _Kind.UNAVAILABLE


def _message(orig: BaseException) -> str:
    """The database's one-line message, without the statement or its parameters."""
    cause = orig.__cause__
    if cause is not None and type(cause).__module__.split(".")[0] == "asyncpg" and cause.args:
        return str(cause.args[0])
    diag = getattr(orig, "diag", None)
    if diag is not None and getattr(diag, "message_primary", None):
        return str(diag.message_primary)
    args = getattr(orig, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        return str(args[1])
    text = str(args[0]) if args else type(orig).__name__
    return text.split("\n")[0]


def _mask(message: str) -> str:
    return _MASK_VALUES.sub(lambda m: f"{m[1]}{m[2]}{m[3]}***{m[3]}", message)


def _unique_detail(columns: tuple[str, ...]) -> str:
    if not columns:
        return "a unique value is already taken"
    return f"{', '.join(columns)}: the value is already taken"


def constraint_error(problem: Problem, column: str | None) -> ConstraintViolation:
    """The error for a NOT NULL, length or type refusal, naming `column` when known."""
    if column is None:
        return ConstraintViolation(_UNNAMED[problem], problem=problem)
    return ConstraintViolation(_DETAILS[problem].format(column), attribute=column, problem=problem)


def _column(orig: BaseException, message: str) -> str | None:
    """The column a NOT NULL, length or type error is about: the driver's field (PostgreSQL), else its message."""
    for source in (orig.__cause__, orig, getattr(orig, "diag", None)):
        name = getattr(source, "column_name", None)
        if isinstance(name, str) and name:
            return name
    for pattern in _COLUMN:
        if found := pattern.search(message):
            return found[1]
    return None


def _constraint_name(orig: BaseException, message: str) -> str | None:
    for source in (orig.__cause__, orig, getattr(orig, "diag", None)):
        name = getattr(source, "constraint_name", None)
        if isinstance(name, str) and name:
            return name
    if found := re.search(r"constraint failed: (\S+)$", message) or _NAME_IN_QUOTES.search(message):
        return found[1]
    return None


def _unique_columns(orig: BaseException, message: str, unique_keys: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    constraint = (
        getattr(orig.__cause__, "constraint_name", None)
        or getattr(orig, "constraint_name", None)  # asyncpg's own error (the direct path)
        or getattr(getattr(orig, "diag", None), "constraint_name", None)
    )
    if sqlite := _SQLITE_UNIQUE_COLUMNS.search(message):
        names = [part.strip() for part in sqlite[1].split(",")]
        if not names[0].startswith("index "):
            return tuple(name.rsplit(".", 1)[-1] for name in names)
        constraint = names[0].removeprefix("index ").strip("'")
    if constraint is None and (quoted := _NAME_IN_QUOTES.search(message)):
        constraint = quoted[1].rsplit(".", 1)[-1]
    if constraint is None:
        return ()
    lowered = {name.lower(): columns for name, columns in unique_keys.items()}
    return lowered.get(constraint.lower(), ())
