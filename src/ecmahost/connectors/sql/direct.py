"""PostgreSQL without SQLAlchemy's execution layer: the connector's statements run on asyncpg connections from a
lean pool (`pg_pool`).

SQLAlchemy builds and compiles every statement (dialect, quoting, bind casts, `RETURNING`); only executing it is
done here. On a 2-core machine SQLAlchemy's checkout and execution context cost about 350 us of CPU per
statement, more than asyncpg and PostgreSQL spend answering an indexed lookup (`docs/performance.md`). The
statements of `statements` are compiled once per set of parameter keys and kept; any other statement is
compiled for its one execution. asyncpg prepares each SQL text once per connection and reuses it.

`DirectPool` is one of the two `executor.SqlExecutor`s and `DirectConnection` its `executor.Session`: `reads`
and `writes` run unchanged on either. A plan is read from SQLAlchemy's public API only (`SQLCompiler.bind_names`,
`positiontup`, `construct_params`, `TypeEngine.dialect_impl(...).bind_processor/result_processor`, the
statement's `exported_columns`); `tests/unit/connectors/test_sql_direct_contract.py` checks that this still
agrees with what SQLAlchemy's own execution does, so an upgrade that changes it fails there, loudly. Errors
stay asyncpg's own; `errors.translate` knows them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ReturnsRows
from sqlalchemy.types import TypeEngine

from ecmahost.connectors.errors import TargetUnavailable
from ecmahost.connectors.sql import statements
from ecmahost.connectors.sql.pg_pool import ConnectionPool, PoolClosed, PoolExhausted

MAX_PLANS = 1024
"""Compiled forms kept per pool (prepared shapes times their parameter key sets): a bound, not a working size."""


@dataclass(slots=True)
class Plan:
    """A compiled statement: its SQL text, the bind names in `$n` order, the non-trivial value converters."""

    statement: ClauseElement
    compiled: SQLCompiler
    sql: str
    order: tuple[str, ...]
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]
    results: tuple[Callable[[Any], Any] | None, ...] | None
    undescribed: tuple[TypeEngine[Any], ...] | None = None
    """The returned columns' types while their converters wait for the column types the database reports (a
    NUMERIC or FLOAT column: SQLAlchemy's asyncpg dialect converts by what the database sends); see `describe`."""

    @classmethod
    def of(cls, statement: ClauseElement, dialect: Dialect, keys: Sequence[str]) -> Plan:
        compiled: Any = statement.compile(
            dialect=dialect, column_keys=list(keys), compile_kwargs={"render_postcompile": True}
        )
        types = tuple(column.type for column in returned_columns(statement))
        try:
            processors: tuple[Any, ...] = result_processors(types, dialect, [None] * len(types))
            undescribed = None
        except Exception:  # a converter that cannot be made without the database's column type
            processors, undescribed = (), types
        return cls(
            statement=statement,
            compiled=compiled,
            sql=str(compiled),
            order=tuple(compiled.positiontup or ()),
            binds=bind_processors(compiled, dialect),
            results=processors if any(processors) else None,
            undescribed=undescribed,
        )

    async def describe(self, raw: asyncpg.Connection, dialect: Dialect, known: dict[str, tuple[int, ...]]) -> None:
        """Make the result converters from the column types the database reports for this SQL (asyncpg's public
        `PreparedStatement.get_attributes`, as SQLAlchemy's asyncpg dialect does), once per SQL text (`known`).
        Two requests may describe a kept plan at once: both make the same converters."""
        types = self.undescribed
        if types is None:
            return
        oids = known.get(self.sql)
        if oids is None:
            oids = tuple(attribute.type.oid for attribute in (await raw.prepare(self.sql)).get_attributes())
            if len(known) < MAX_PLANS:
                known[self.sql] = oids
        processors = result_processors(types, dialect, oids)
        self.results = processors if any(processors) else None
        self.undescribed = None

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        # a new dict keyed as `positiontup` (unescaped names): the caller's parameters stay as they are
        values = self.compiled.construct_params(parameters, escape_names=False)
        for name, convert in self.binds:
            if name in values:
                values[name] = convert(values[name])
        return [values[name] for name in self.order]

    def rows(self, records: list[asyncpg.Record]) -> list[tuple[Any, ...]]:
        if self.results is None:
            return [tuple(record) for record in records]
        processors = self.results
        if records and len(records[0]) != len(processors):
            raise RuntimeError(
                f"SQLAlchemy rendered {len(records[0])} result columns where the statement exports "
                f"{len(processors)}: `exported_columns` no longer matches the rendered columns (a SQLAlchemy "
                "upgrade?); see tests/unit/connectors/test_sql_direct_contract.py"
            )
        return [
            tuple(value if p is None else p(value) for p, value in zip(processors, record, strict=False))
            for record in records
        ]


def bind_processors(compiled: SQLCompiler, dialect: Dialect) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """(bind name, converter) of the bound parameters whose type converts values before the driver sees them:
    what SQLAlchemy's execution applies, from the public `TypeEngine.dialect_impl(...).bind_processor`."""
    found = []
    for bind, name in compiled.bind_names.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            found.append((name, process))
    return tuple(found)


def result_processors(
    types: Sequence[TypeEngine[Any]], dialect: Dialect, coltypes: Sequence[Any]
) -> tuple[Callable[[Any], Any] | None, ...]:
    """The converter of each returned column (None where values pass as they are), from the public
    `TypeEngine.dialect_impl(...).result_processor`; `coltypes` are the database's type codes, or None."""
    return tuple(
        type_.dialect_impl(dialect).result_processor(dialect, coltype)
        for type_, coltype in zip(types, coltypes, strict=True)
    )


def returned_columns(statement: ClauseElement) -> tuple[Any, ...]:
    """The columns a statement returns, in rendered order: a SELECT's, or an INSERT/UPDATE/DELETE's RETURNING
    (none without it)."""
    if not isinstance(statement, ReturnsRows):
        raise TypeError(f"the direct path runs SQLAlchemy Core statements, not {type(statement).__name__}")
    return tuple(statement.exported_columns)


class DirectConnection:
    """One pooled asyncpg connection: an `executor.Session`."""

    __slots__ = ("_plans", "_raw", "dialect")

    def __init__(self, raw: asyncpg.Connection, plans: PlanCache, dialect: Dialect) -> None:
        self._raw = raw
        self._plans = plans
        self.dialect = dialect

    async def fetch(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        params = parameters or {}
        plan = self._plans.plan(statement, params)
        if plan.undescribed is not None:
            await plan.describe(self._raw, self.dialect, self._plans.described)
        return plan.rows(await self._raw.fetch(plan.sql, *plan.arguments(params)))

    async def fetch_one(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> tuple[Any, ...] | None:
        rows = await self.fetch(statement, parameters)
        return rows[0] if rows else None

    async def execute(
        self, statement: Any, parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None
    ) -> int:
        if isinstance(parameters, Sequence):  # a list of parameter sets: asyncpg's pipelined executemany
            plan = self._plans.plan(statement, parameters[0])
            await self._raw.executemany(plan.sql, [plan.arguments(params) for params in parameters])
            return -1
        params = parameters or {}
        plan = self._plans.plan(statement, params)
        return _rowcount(await self._raw.execute(plan.sql, *plan.arguments(params)))

    async def inserted_key(self, statement: Any) -> Any:
        """PostgreSQL has RETURNING: the key comes back with the INSERT (`writes` uses `fetch_one` instead)."""
        table = statement.table
        row = await self.fetch_one(statement.returning(*table.primary_key.columns))
        return None if row is None else row[0]


def _rowcount(status: str) -> int:
    """The row count of a command tag: `UPDATE 1`, `DELETE 0`, `INSERT 0 3`."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


class PlanCache:
    """Compiled plans of the prepared statements (`statements.is_prepared`), per set of parameter keys."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._plans: dict[tuple[int, frozenset[str]], Plan] = {}
        self.described: dict[str, tuple[int, ...]] = {}
        """SQL text -> the type codes of its result columns, as the database reported them (`Plan.describe`)"""

    def plan(self, statement: ClauseElement, parameters: Mapping[str, Any]) -> Plan:
        key = (id(statement), frozenset(parameters))
        plan = self._plans.get(key)
        if plan is not None and plan.statement is statement:  # kept: only prepared statements are
            return plan
        plan = Plan.of(statement, self.dialect, list(parameters))  # new, or an id reused by a newer statement
        if statements.is_prepared(statement) and len(self._plans) < MAX_PLANS:
            self._plans[key] = plan
        return plan


CONNECTION_LOST = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.InterfaceError,
    ConnectionError,
)
"""What a pooled connection raises when the server went away under it (a restart, a killed backend)."""


class Checkout:
    """One connection taken from the pool and given back: pooled again after a clean use or a server error,
    closed when the use may have left it mid-operation (`pg_pool.ConnectionPool.release`). A class rather than an
    `@asynccontextmanager` generator: every request takes one."""

    __slots__ = ("_direct", "_pool", "_raw")

    def __init__(self, direct: DirectPool) -> None:
        self._direct = direct

    async def __aenter__(self) -> DirectConnection:
        direct = self._direct
        pool = self._pool = direct._open()
        try:
            self._raw = await pool.acquire(direct._acquire_timeout)
        except PoolExhausted:
            raise TargetUnavailable("no free database connection: the pool is exhausted (raise pool_size?)") from None
        except PoolClosed:
            raise TargetUnavailable("the connector is stopping; retry shortly") from None
        except TimeoutError:
            raise TargetUnavailable(
                f"the database did not accept a connection within {direct._connect['timeout']:g} s"
            ) from None
        return DirectConnection(self._raw, direct.plans, direct.plans.dialect)

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None, traceback: Any) -> None:
        if exc is None:
            self._pool.release(self._raw)
            return
        if isinstance(exc, asyncpg.PostgresError):
            lost = _ends_session(exc)  # the server's answer: the connection is fine unless the session ended
            self._pool.release(self._raw, reusable=not lost)
        else:
            lost = isinstance(exc, CONNECTION_LOST)  # cancelled mid-query, lost, failed mid-protocol: not reused
            self._pool.release(self._raw, reusable=False)
        if lost:
            self._direct.forget_connections()


SESSION_ENDED = frozenset({"57P01", "57P02", "57P03"})
"""admin_shutdown, crash_shutdown, cannot_connect_now: the server is ending or refusing sessions (a restart)."""


def _ends_session(exc: asyncpg.PostgresError) -> bool:
    state = getattr(exc, "sqlstate", None) or ""
    return state.startswith("08") or state in SESSION_ENDED


class DirectPool:
    """The connections of one PostgreSQL connector (`pg_pool.ConnectionPool`), opened on first use (the database
    may be down at start): an `executor.SqlExecutor`."""

    def __init__(self, connect_kwargs: dict[str, Any], dialect: Dialect, *, size: int, acquire_timeout: float) -> None:
        self._connect = connect_kwargs
        self._size = size
        self._acquire_timeout = acquire_timeout
        self._pool: ConnectionPool | None = None
        self.plans = PlanCache(dialect)
        self.dialect = dialect

    @classmethod
    def for_url(
        cls, url: URL, dialect: Dialect, *, size: int, acquire_timeout: float, connect_timeout: float
    ) -> DirectPool:
        """The pool for a `postgresql+asyncpg` URL, connecting as SQLAlchemy's asyncpg dialect would."""
        _, kwargs = dialect.create_connect_args(url)
        kwargs = {**kwargs, "timeout": connect_timeout}
        for sqlalchemy_only in ("prepared_statement_cache_size", "prepared_statement_name_func", "async_creator_fn"):
            kwargs.pop(sqlalchemy_only, None)
        return cls(kwargs, dialect, size=size, acquire_timeout=acquire_timeout)

    def _open(self) -> ConnectionPool:
        """The pool, made at first use (it opens connections only as checkouts need them)."""
        if self._pool is None:
            self._pool = ConnectionPool(self._new_connection, size=self._size)
        return self._pool

    async def _new_connection(self) -> asyncpg.Connection:
        return await asyncpg.connect(**self._connect)

    def connection(self) -> Checkout:
        """`async with` one pooled connection."""
        return Checkout(self)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[DirectConnection]:
        async with self.connection() as conn, conn._raw.transaction():
            yield conn

    def lost(self, exc: BaseException) -> bool:
        return isinstance(exc, CONNECTION_LOST)

    def forget_connections(self) -> None:
        """After a lost connection: the pool's other connections are likely dead too (a restarted server); each
        is replaced at its next use instead of failing a request first."""
        if self._pool is not None:
            self._pool.expire()

    def status(self) -> dict[str, int]:
        if self._pool is None:
            return {"size": 0, "checked_out": 0, "overflow": 0}
        size = self._pool.size()
        return {"size": size, "checked_out": size - self._pool.idle_size(), "overflow": 0}

    async def close(self, timeout: float = 5.0) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close(timeout)
