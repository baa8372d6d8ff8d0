"""`SqlConnector`: the generic SQL connector (`type: sql`) over SQLAlchemy Core and an async driver.

It owns the engine and the reflected tables (reflected on first use, so `open()` works while the database is
down), runs reads and single-statement writes (an INSERT ... RETURNING of a row without child rows, an UPDATE
of the row's own columns) in autocommit and every other write in one transaction, bounds each operation by
`statement_timeout_seconds`, and translates database errors at this edge. Statements are built in `reads`,
`writes`, `statements` and `compile`; it never sees SCIM.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ecmahost.config.model import AnchorGeneration, ConnectorConfig
from ecmahost.connectors.base import ClearRules, Connector, DiscoveredSchema, TargetProblem
from ecmahost.connectors.errors import (
    ConfigurationError,
    ConnectorError,
    ConstraintViolation,
    MembersNotFound,
    ObjectNotFound,
    Problem,
    TargetMismatch,
)
from ecmahost.connectors.query import MEMBERS, META_CREATED, META_MODIFIED, Change, Record, SearchQuery, SearchResult
from ecmahost.connectors.sql import clearing, explain, reads, writes
from ecmahost.connectors.sql.discovery import discover_schema
from ecmahost.connectors.sql.engine import async_url, create_engine, create_executor
from ecmahost.connectors.sql.errors import (
    NAMED_PROBLEMS,
    constraint_error,
    is_deadlock,
    translated,
)
from ecmahost.connectors.sql.executor import Session, SqlExecutor
from ecmahost.connectors.sql.models import SqlConnection, SqlObjectType
from ecmahost.connectors.sql.tables import ObjectTables, Reflection, reflect_object_types
from ecmahost.connectors.sql.values import anchor_to_db
from ecmahost.connectors.sql.verify import object_type_problems

T = TypeVar("T")


class SqlConnector(Connector):
    type_name = "sql"
    description = "A SQL database (PostgreSQL, MariaDB/MySQL, SQLite, ...) through SQLAlchemy"
    connection_model = SqlConnection
    object_type_model = SqlObjectType
    connection: SqlConnection

    def __init__(self, config: ConnectorConfig, *, home: Path) -> None:
        super().__init__(config, home=home)
        self._engine: AsyncEngine | None = None
        self._executor: SqlExecutor | None = None
        """what every request's statements run through (`executor`), made with the engine"""
        self._tables: dict[str, ObjectTables] | None = None
        self._broken: dict[str, str] = {}
        """object type -> why it is not served (what the file names that the database lacks)"""
        self._reflecting = asyncio.Lock()

    async def open(self) -> None:
        self._require_engine()

    async def close(self) -> None:
        engine, self._engine, self._tables = self._engine, None, None
        executor, self._executor = self._executor, None
        if executor is not None:
            await executor.close()
        if engine is not None:
            await engine.dispose()

    def pool_status(self) -> dict[str, int]:
        """Connection pool usage for `/metrics` (empty before the first request opens the engine)."""
        return {} if self._executor is None else self._executor.status()

    def _target(self, object_type: str) -> SqlObjectType | None:
        """The object type's SQL keys, as the base class validated them once (None for an unknown type)."""
        return self.targets.get(object_type)  # type: ignore[return-value]  # object_type_model is SqlObjectType

    def has_members(self, object_type: str) -> bool:
        target = self._target(object_type)
        return target is not None and target.members is not None

    def timestamps(self, object_type: str) -> frozenset[str]:
        target = self._target(object_type)
        if target is None:
            return frozenset()
        pairs = ((META_CREATED, target.timestamps.created), (META_MODIFIED, target.timestamps.modified))
        return frozenset(key for key, column in pairs if column)

    async def check(self) -> None:
        async with self._guard():
            all_tables = await self._reflected()
            if self._broken:
                raise TargetMismatch("; ".join(self._broken.values()))
            async with self._require_engine().connect() as conn:
                await conn.execute(select(literal(1)))
                for tables in all_tables.values():
                    await conn.execute(select(*tables.columns.values()).limit(1))
                    for child in tables.children.values():
                        await conn.execute(select(child.key, *child.columns.values()).limit(1))
                    if tables.members is not None:
                        members = tables.members
                        await conn.execute(select(members.group_key, members.member_key).limit(1))

    async def verify(self) -> list[TargetProblem]:
        """Reflect every table the file names (as the first request would) and check the file against them. The
        reflection is kept for the requests to come when none was made yet, or when an object type it could not
        resolve before now resolves (or the reverse)."""

        def reflect_and_check(conn: Any) -> tuple[Reflection, list[TargetProblem]]:
            reflection = reflect_object_types(conn, self.config)
            return reflection, object_type_problems(reflection.metadata, self.config, conn.dialect.name)

        missing = self._missing_sqlite_file()
        if missing is not None:  # connecting would create an empty database file instead
            return [missing]
        async with self._guard(), self._require_engine().connect() as conn:
            reflection, problems = await conn.run_sync(reflect_and_check)
        async with self._reflecting:
            if self._tables is None or reflection.broken != self._broken:  # first, or the database changed
                self._broken, self._tables = reflection.broken, reflection.tables
        return problems

    def _missing_sqlite_file(self) -> TargetProblem | None:
        url = async_url(self.connection.url, home=self.home)
        database = url.database or ""
        if url.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
            return None
        if Path(database).exists():
            return None
        return TargetProblem(
            "connection.url",
            f"the SQLite database file {database} does not exist",
            "correct the path (relative paths start at the home folder) or create the database first",
        )

    async def discover(self) -> DiscoveredSchema:
        async with self._guard(), self._require_engine().connect() as conn:
            schema = await conn.run_sync(discover_schema)
        return schema

    async def search(self, object_type: str, query: SearchQuery) -> SearchResult:
        async with self._guard(object_type):
            tables = await self._object_tables(object_type)
            return await self._read(lambda conn: reads.search(conn, tables, query))

    async def clear_rules(self, object_type: str) -> ClearRules:
        """From the reflected table (`clearing`): columns with a default or generated by the database are left
        alone by a PUT that omits them, NOT NULL columns without a default must be given."""
        async with self._guard(object_type):
            return clearing.clear_rules(await self._object_tables(object_type))

    async def get(self, object_type: str, anchor: str, attributes: frozenset[str] | None = None) -> Record:
        async with self._guard(object_type):
            tables = await self._object_tables(object_type)
            value = _anchor(tables, anchor)
            record = await self._read(lambda conn: reads.get_record(conn, tables, value, attributes))
        if record is None:
            raise ObjectNotFound(f"{object_type} {anchor} not found")
        return record

    async def create(self, object_type: str, record: Record) -> Record:
        try:
            return await self._create(object_type, record)
        except ConstraintViolation as exc:
            better = await self._explain(exc, object_type, record, record.get(MEMBERS))
            if better is exc:
                raise
            raise better from exc

    async def _create(self, object_type: str, record: Record) -> Record:
        async with self._guard(object_type):
            tables = await self._object_tables(object_type)
            if writes.single_statement_insert(tables, record) and self._require_engine().dialect.insert_returning:
                async with self._autocommit() as conn:  # one INSERT ... RETURNING: one round trip, atomic
                    row = await writes.insert_row_returning(conn, tables, record)
                    fresh = record.get(tables.anchor.name) is None and tables.generate is AnchorGeneration.UUID
                    records = await reads.complete_records(conn, tables, None, [row], no_children=fresh)
                    return records[0]
            wanted = frozenset([*tables.columns, *tables.children, MEMBERS]) if MEMBERS in record else None
            async with self._begin() as conn:
                anchor = await writes.insert_object(conn, tables, record)
                stored = await reads.get_record(conn, tables, anchor, wanted)
        if stored is None:  # pragma: no cover - the row was inserted in this transaction
            raise ObjectNotFound(f"{object_type} {anchor} vanished after insert")
        return stored

    async def update(self, object_type: str, anchor: str, change: Change) -> Record | None:
        """Returns the record as stored when one statement could both write and read it (PostgreSQL, a change of
        the row's own columns); None otherwise."""
        try:
            return await self._update(object_type, anchor, change)
        except ConstraintViolation as exc:
            better = await self._explain(exc, object_type, {**change.set, **change.replace}, change.add_members)
            if better is exc:
                raise
            raise better from exc

    async def _update(self, object_type: str, anchor: str, change: Change) -> Record | None:
        async with self._guard(object_type):
            tables = await self._object_tables(object_type)
            value = _anchor(tables, anchor)
            if writes.single_statement_update(tables, change):
                async with self._autocommit() as conn:
                    if conn.dialect.name == "postgresql":
                        return await writes.update_returning(conn, tables, value, change)
                    await writes.update_object(conn, tables, value, change)
                return None
            await self._transaction(lambda conn: writes.update_object(conn, tables, value, change))
        return None

    async def delete(self, object_type: str, anchor: str) -> None:
        async with self._guard(object_type):
            all_tables = await self._reflected()
            tables = await self._object_tables(object_type)
            value = _anchor(tables, anchor)
            member_tables = [t.members for t in all_tables.values() if t.members is not None]
            await self._transaction(lambda conn: writes.delete_object(conn, tables, value, member_tables))

    async def _explain(
        self, exc: ConstraintViolation, object_type: str, values: Record, members: Sequence[str] | None
    ) -> ConstraintViolation:
        """A refused write said precisely, once it failed: the member ids that name no row (a foreign key error
        names none), the attribute whose value is too long (PostgreSQL names only the type). `exc` if unknown."""
        all_tables = self._tables or {}
        tables = all_tables.get(object_type)
        if tables is None:
            return exc
        spec = tables.members
        if members and spec is not None and explain.about_members(exc, spec):
            column = explain.referenced_column(spec)
            if column is None:  # no foreign key: the ids that cannot even be member keys
                unfit = [member for member in members if anchor_to_db(spec.member_key, member) is None]
                return MembersNotFound(unfit) if unfit else exc
            try:
                async with self._guard(object_type):
                    missing = await self._read(lambda conn: explain.missing_members(conn, column, members))
            except ConnectorError:  # the database went away meanwhile: the refusal as it was
                return exc
            return MembersNotFound(missing, explain.member_type(all_tables.values(), column)) if missing else exc
        if exc.problem is Problem.TOO_LONG and exc.attribute is None:
            attribute = explain.too_long(tables, values)
            return exc if attribute is None else constraint_error(Problem.TOO_LONG, attribute)
        if exc.problem in NAMED_PROBLEMS and exc.attribute is not None:  # the column as the file names it
            attribute = explain.attribute_of(tables, exc.attribute)
            return exc if attribute == exc.attribute else constraint_error(exc.problem, attribute)
        return exc

    def _guard(self, object_type: str | None = None) -> Any:
        def unique_keys() -> dict[str, tuple[str, ...]]:
            tables = (self._tables or {}).get(object_type or "")
            return tables.unique_keys if tables is not None else {}

        return translated(self.connection.statement_timeout_seconds, unique_keys)

    def _require_engine(self) -> AsyncEngine:
        """The engine (reflection, discovery, checks) and, made with it, the executor requests run through."""
        if self._engine is None:
            self._engine = create_engine(self.connection, home=self.home)
            self._executor = create_executor(self.connection, self._engine, home=self.home)
        return self._engine

    def _require_executor(self) -> SqlExecutor:
        executor = self._executor
        if executor is None:
            self._require_engine()
            executor = self._executor
            assert executor is not None
        return executor

    def _autocommit(self) -> AbstractAsyncContextManager[Session]:
        """A session for one single statement write (atomic by itself: no BEGIN/COMMIT round trips). Never
        retried: unlike a read, a write that may have reached the database is not safe to repeat."""
        return self._require_executor().connection()

    def _begin(self) -> AbstractAsyncContextManager[Session]:
        return self._require_executor().transaction()

    async def _transaction(self, statements: Callable[[Session], Awaitable[T]], attempts: int = 3) -> T:
        """Run `statements` in one transaction; a deadlock victim (rolled back whole by the database) runs again,
        so two PATCHes racing on one group both succeed instead of one getting 503."""
        for attempt in range(1, attempts + 1):
            try:
                async with self._begin() as conn:
                    return await statements(conn)
            except Exception as exc:
                if attempt == attempts or not is_deadlock(exc):
                    raise
                await asyncio.sleep(random.uniform(0.005, 0.05) * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _read(self, statements: Callable[[Session], Awaitable[T]]) -> T:
        """Run read-only `statements`, once more on a fresh connection if the pooled one was dead (the database
        restarted): a read is safe to repeat, and the first failure has already invalidated the stale pool."""
        executor = self._require_executor()
        try:
            async with executor.connection() as conn:
                return await statements(conn)
        except Exception as exc:
            if not executor.lost(exc):
                raise
        async with executor.connection() as conn:
            return await statements(conn)

    async def _reflected(self) -> dict[str, ObjectTables]:
        if self._tables is None:
            async with self._reflecting:
                if self._tables is None:
                    async with self._require_engine().connect() as conn:
                        reflection = await conn.run_sync(reflect_object_types, self.config)
                    self._broken, self._tables = reflection.broken, reflection.tables
        return self._tables

    async def _object_tables(self, object_type: str) -> ObjectTables:
        tables = await self._reflected()
        if object_type not in tables:
            if object_type in self._broken:
                raise TargetMismatch(f"{object_type} is not served: {self._broken[object_type]}")
            raise ConfigurationError(f"object type {object_type!r} is not configured for connector {self.name!r}")
        return tables[object_type]


def _anchor(tables: ObjectTables, anchor: str) -> Any:
    value = anchor_to_db(tables.anchor, anchor)
    if value is None:
        raise ObjectNotFound(f"{tables.object_type} {anchor} not found")
    return value
