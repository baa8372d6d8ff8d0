"""PostgreSQL without SQLAlchemy's execution layer: the connector's statements run on asyncpg's own pool.

SQLAlchemy builds and compiles every statement (dialect, quoting, bind casts, `RETURNING`); only executing it is
done here. On a 2-core machine SQLAlchemy's checkout and execution context cost about 350 us of CPU per
statement, more than asyncpg and PostgreSQL spend answering an indexed lookup (`docs/performance.md`). The
statements of `statements` are compiled once per set of parameter keys and kept; any other statement is
compiled for its one execution. asyncpg prepares each SQL text once per connection and reuses it.

`DirectConnection` offers the part of SQLAlchemy's `AsyncConnection` that `reads` and `writes` use
(`execute(statement, parameters)` returning `all/one/first/scalar_one/rowcount`, `dialect`), so those modules
run unchanged on either. Errors stay asyncpg's own; `errors.translate` knows them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from ecmahost.connectors.errors import TargetUnavailable
from ecmahost.connectors.sql import statements

MAX_PLANS = 1024
"""Compiled forms kept per pool (prepared shapes times their parameter key sets): a bound, not a working size."""


@dataclass(frozen=True, slots=True)
class Plan:
    """A compiled statement: its SQL text, the bind names in `$n` order, the non-trivial value converters."""

    statement: ClauseElement
    compiled: SQLCompiler
    sql: str
    order: tuple[str, ...]
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]
    results: tuple[Callable[[Any], Any] | None, ...] | None
    returns_rows: bool

    @classmethod
    def of(cls, statement: ClauseElement, dialect: Dialect, keys: Sequence[str]) -> Plan:
        compiled: Any = statement.compile(
            dialect=dialect, column_keys=list(keys), compile_kwargs={"render_postcompile": True}
        )
        binds = tuple((name, proc) for name, proc in (compiled._bind_processors or {}).items() if proc is not None)
        processors = [entry.type._cached_result_processor(dialect, None) for entry in compiled._result_columns]
        return cls(
            statement=statement,
            compiled=compiled,
            sql=str(compiled),
            order=tuple(compiled.positiontup or ()),
            binds=binds,
            results=tuple(processors) if any(processors) else None,
            returns_rows=bool(compiled._result_columns),
        )

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        values = self.compiled.construct_params(parameters)  # a new dict: the caller's parameters stay as they are
        for name, convert in self.binds:
            if name in values:
                values[name] = convert(values[name])
        return [values[name] for name in self.order]

    def rows(self, records: list[asyncpg.Record]) -> list[tuple[Any, ...]]:
        if self.results is None:
            return [tuple(record) for record in records]
        processors = self.results
        return [
            tuple(value if p is None else p(value) for p, value in zip(processors, record, strict=False))
            for record in records
        ]


class DirectResult:
    """What `reads` and `writes` use of a SQLAlchemy `Result`."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def all(self) -> list[tuple[Any, ...]]:
        return self._rows

    def first(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def one(self) -> tuple[Any, ...]:
        if len(self._rows) != 1:
            raise RuntimeError(f"expected one row, got {len(self._rows)}")
        return self._rows[0]

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalars(self) -> list[Any]:
        return [row[0] for row in self._rows]


class DirectConnection:
    """One pooled asyncpg connection, speaking the `execute` of SQLAlchemy's `AsyncConnection`."""

    __slots__ = ("_plans", "_raw", "dialect")

    def __init__(self, raw: asyncpg.Connection, plans: PlanCache, dialect: Dialect) -> None:
        self._raw = raw
        self._plans = plans
        self.dialect = dialect

    async def execute(
        self, statement: Any, parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None
    ) -> DirectResult:
        if isinstance(parameters, Sequence):  # a list of parameter sets: asyncpg's pipelined executemany
            plan = self._plans.plan(statement, parameters[0])
            await self._raw.executemany(plan.sql, [plan.arguments(params) for params in parameters])
            return DirectResult([], -1)
        params = parameters or {}
        plan = self._plans.plan(statement, params)
        arguments = plan.arguments(params)
        if plan.returns_rows:
            return DirectResult(plan.rows(await self._raw.fetch(plan.sql, *arguments)), -1)
        status = await self._raw.execute(plan.sql, *arguments)
        return DirectResult([], _rowcount(status))


def _rowcount(status: str) -> int:
    """The row count of a command tag: `UPDATE 1`, `DELETE 0`, `INSERT 0 3`."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


class PlanCache:
    """Compiled plans of the prepared statements (`statements.is_prepared`), per set of parameter keys."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._plans: dict[tuple[int, frozenset[str]], Plan] = {}

    def plan(self, statement: ClauseElement, parameters: Mapping[str, Any]) -> Plan:
        if not statements.is_prepared(statement):
            return Plan.of(statement, self.dialect, list(parameters))
        key = (id(statement), frozenset(parameters))
        plan = self._plans.get(key)
        if plan is None or plan.statement is not statement:  # an id reused by a newer statement: compile afresh
            plan = Plan.of(statement, self.dialect, list(parameters))
            if len(self._plans) < MAX_PLANS:
                self._plans[key] = plan
        return plan


CONNECTION_LOST = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.InterfaceError,
    ConnectionError,
)
"""What a pooled connection raises when the server went away under it (a restart, a killed backend)."""


async def _end_transaction(conn: asyncpg.Connection) -> None:
    """What a connection needs before it goes back to the pool. asyncpg's default reset (unlock advisory locks,
    close cursors, UNLISTEN, RESET ALL) is a round trip per request for session state the connector never
    creates; a transaction left open (a cancelled request) is the only state it can leave."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


class DirectPool:
    """asyncpg's pool for one PostgreSQL connector, opened on first use (the database may be down at start)."""

    def __init__(self, connect_kwargs: dict[str, Any], dialect: Dialect, *, size: int, acquire_timeout: float) -> None:
        self._connect = connect_kwargs
        self._size = size
        self._acquire_timeout = acquire_timeout
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        self.plans = PlanCache(dialect)

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

    async def _open(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        **self._connect,
                        min_size=0,
                        max_size=self._size,
                        max_inactive_connection_lifetime=300,
                        reset=_end_transaction,
                    )
        return self._pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[DirectConnection]:
        pool = await self._open()
        try:
            raw = await pool.acquire(timeout=self._acquire_timeout)
        except TimeoutError:
            if pool.get_size() >= self._size and pool.get_idle_size() == 0:
                raise TargetUnavailable(
                    "no free database connection: the pool is exhausted (raise pool_size?)"
                ) from None
            raise TargetUnavailable(
                f"the database did not accept a connection within {self._acquire_timeout:g} s"
            ) from None
        try:
            yield DirectConnection(raw, self.plans, self.plans.dialect)
        except CONNECTION_LOST:
            await self.forget_connections()
            raise
        finally:
            await pool.release(raw)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[DirectConnection]:
        async with self.connection() as conn, conn._raw.transaction():
            yield conn

    async def forget_connections(self) -> None:
        """After a lost connection: the pool's other connections are likely dead too (a restarted server); each
        is replaced at its next use instead of failing a request first."""
        if self._pool is not None:
            await self._pool.expire_connections()  # a coroutine in asyncpg

    def status(self) -> dict[str, int]:
        if self._pool is None:
            return {"size": 0, "checked_out": 0, "overflow": 0}
        size = self._pool.get_size()
        return {"size": size, "checked_out": size - self._pool.get_idle_size(), "overflow": 0}

    async def close(self, timeout: float = 5.0) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        try:
            await asyncio.wait_for(pool.close(), timeout)
        except TimeoutError:
            pool.terminate()
