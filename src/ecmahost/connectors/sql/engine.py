"""Build an async SQLAlchemy engine from a `SqlConnection`: map sync URLs to async drivers, add the password,
resolve relative SQLite paths against the connector's home, and set pool and connect timeouts.

It does not connect: `create_async_engine` is lazy, so a connector opens even when its database is down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ecmahost.connectors.sql.direct import DirectPool
from ecmahost.connectors.sql.executor import AlchemyExecutor, SqlExecutor
from ecmahost.connectors.sql.models import SqlConnection

ASYNC_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "mysql": "mysql+aiomysql",
    "mysql+pymysql": "mysql+aiomysql",
    "mysql+mysqldb": "mysql+aiomysql",
    "mariadb": "mysql+aiomysql",
    "mariadb+pymysql": "mysql+aiomysql",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
}
"""Sync driver names -> the async driver the connector uses. An async driver given explicitly is kept."""


def async_url(url: str, *, home: Path, password: str | None = None) -> URL:
    """The URL the engine connects with. Contains the password: never log it (its `repr` masks it)."""
    parsed = make_url(url)
    drivername = ASYNC_DRIVERS.get(parsed.drivername, parsed.drivername)
    parsed = parsed.set(drivername=drivername)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_path(parsed, home)
    if parsed.get_backend_name() == "mysql" and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    if password is not None:
        parsed = parsed.set(password=password)
    return parsed


def _sqlite_path(url: URL, home: Path) -> URL:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return url
    path = Path(database)
    if not path.is_absolute():
        path = home / path
    return url.set(database=str(path))


def create_engine(connection: SqlConnection, *, home: Path) -> AsyncEngine:
    """An engine with bounded waits. A restarted database heals without a host restart: SQLAlchemy invalidates
    the whole pool when a connection turns out dead, and the connector retries reads once (or, with
    `pre_ping: true`, every connection is tested before use)."""
    url = async_url(connection.url, home=home, password=connection.password)
    backend = url.get_backend_name()
    options: dict[str, Any] = {"pool_pre_ping": connection.pre_ping}
    if not (backend == "sqlite" and url.database in (None, "", ":memory:")):
        options |= {"pool_size": connection.pool_size, "pool_timeout": connection.pool_timeout_seconds}
    options["connect_args"] = _connect_args(url.get_driver_name(), connection.connect_timeout_seconds)
    engine = create_async_engine(url, **options)
    if backend == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_foreign_keys)
    return engine


def create_executor(connection: SqlConnection, engine: AsyncEngine, *, home: Path) -> SqlExecutor:
    """What the connector's statements run through, chosen once: asyncpg's own pool when the target is PostgreSQL
    over asyncpg and `direct` is on (`connectors.sql.direct`), SQLAlchemy's engine otherwise."""
    direct = create_direct_pool(connection, engine, home=home)
    return direct if direct is not None else AlchemyExecutor(engine)


def create_direct_pool(connection: SqlConnection, engine: AsyncEngine, *, home: Path) -> DirectPool | None:
    """asyncpg's own pool beside `engine` when the target is PostgreSQL over asyncpg and `direct` is on
    (`connectors.sql.direct`); None otherwise."""
    url = engine.url
    if not connection.direct or url.get_backend_name() != "postgresql" or url.get_driver_name() != "asyncpg":
        return None
    url = async_url(connection.url, home=home, password=connection.password)
    return DirectPool.for_url(
        url,
        engine.dialect,
        size=connection.pool_size,
        acquire_timeout=connection.pool_timeout_seconds,
        connect_timeout=connection.connect_timeout_seconds,
    )


def _connect_args(driver: str, timeout: float) -> dict[str, Any]:
    """The connect timeout, spelled the way each async driver wants it (unknown drivers get none)."""
    if driver in ("asyncpg", "aiosqlite"):
        return {"timeout": timeout}
    if driver in ("aiomysql", "asyncmy", "psycopg", "psycopg_async"):
        return {"connect_timeout": max(1, round(timeout))}
    return {}


def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    """SQLite enforces foreign keys only when asked, per connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
