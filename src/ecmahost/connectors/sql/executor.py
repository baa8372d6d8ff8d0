"""The one interface the SQL connector runs statements through, chosen once when the engine is made
(`engine.create_executor`): `AlchemyExecutor` (SQLAlchemy's `AsyncEngine`, every database) or
`direct.DirectPool` (PostgreSQL on asyncpg without SQLAlchemy's execution layer).

`reads`, `writes` and `explain` take a `Session` (one connection) and call `fetch`, `fetch_one`, `execute` and
`inserted_key` on it; they never ask which executor runs them. The connector takes sessions from the executor:
`connection()` for reads and single-statement writes (autocommit), `transaction()` for the rest, and asks
`lost(exc)` whether a failed read may run again on a fresh connection. Errors stay the driver's own;
`errors.translate` knows both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

Row = Sequence[Any]
Parameters = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
"""One parameter set, or a list of them (one statement run once per set: `executemany`)."""


class Session(Protocol):
    """One connection's statements: all `reads` and `writes` need."""

    @property
    def dialect(self) -> Dialect: ...

    async def fetch(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> Sequence[Row]:
        """The rows of a statement that returns rows (a SELECT, an INSERT/UPDATE ... RETURNING)."""
        ...

    async def fetch_one(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> Row | None:
        """The first row, or None."""
        ...

    async def execute(self, statement: Any, parameters: Parameters = None) -> int:
        """Run a statement that returns no rows; the rows it changed (-1 when unknown, after a list of sets)."""
        ...

    async def inserted_key(self, statement: Any) -> Any:
        """Run an INSERT of one row; the primary key the database generated (for dialects without RETURNING)."""
        ...


class SqlExecutor(Protocol):
    """Where sessions come from: one per connector, made with its engine."""

    @property
    def dialect(self) -> Dialect: ...

    def connection(self) -> AbstractAsyncContextManager[Session]:
        """A session in autocommit: a read, or a write that is one statement (atomic by itself)."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Session]:
        """A session in one transaction, committed when the block ends, rolled back when it raises."""
        ...

    def lost(self, exc: BaseException) -> bool:
        """Whether `exc` says the connection died under the statement (the database restarted): a read may run
        again on a fresh connection."""
        ...

    def status(self) -> dict[str, int]:
        """Pool usage for `/metrics`: size, checked_out, overflow (empty when the pool has no such figures)."""
        ...

    async def close(self) -> None: ...


class AlchemySession:
    """A `Session` over SQLAlchemy's `AsyncConnection`."""

    __slots__ = ("_conn", "dialect")

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self.dialect = conn.dialect

    async def fetch(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> Sequence[Row]:
        return (await self._conn.execute(statement, parameters)).all()

    async def fetch_one(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> Row | None:
        return (await self._conn.execute(statement, parameters)).first()

    async def execute(self, statement: Any, parameters: Parameters = None) -> int:
        return (await self._conn.execute(statement, parameters)).rowcount  # type: ignore[arg-type]

    async def inserted_key(self, statement: Any) -> Any:
        result = await self._conn.execute(statement)
        return result.inserted_primary_key[0] if result.inserted_primary_key else None


class _Checkout:
    """SQLAlchemy's connection context (`connect()` or `begin()`) giving an `AlchemySession`. A class rather than
    an `@asynccontextmanager` generator: every request takes one."""

    __slots__ = ("_context",)

    def __init__(self, context: AbstractAsyncContextManager[AsyncConnection]) -> None:
        self._context = context

    async def __aenter__(self) -> Session:
        return AlchemySession(await self._context.__aenter__())

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None, traceback: Any) -> None:
        await self._context.__aexit__(kind, exc, traceback)


class AlchemyExecutor:
    """Statements through SQLAlchemy's `AsyncEngine` and its pool. Reads and single statements run in
    autocommit: no BEGIN/ROLLBACK round trips (at READ COMMITTED, PostgreSQL's default, each statement sees the
    latest committed data either way; MariaDB's REPEATABLE READ only matters inside a transaction)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    def connection(self) -> AbstractAsyncContextManager[Session]:
        return _Checkout(self._autocommit.connect())

    def transaction(self) -> AbstractAsyncContextManager[Session]:
        return _Checkout(self.engine.begin())

    def lost(self, exc: BaseException) -> bool:
        return isinstance(exc, DBAPIError) and exc.connection_invalidated

    def status(self) -> dict[str, int]:
        pool: Any = self.engine.pool
        if not hasattr(pool, "checkedout"):  # SQLite in memory: a static pool
            return {}
        return {"size": pool.size(), "checked_out": pool.checkedout(), "overflow": max(0, pool.overflow())}

    async def close(self) -> None:
        """The engine is the connector's (it also serves reflection): it disposes of it."""
