"""The real host (`ecmahost serve`) over demo-shaped connectors of the test's own making, on a fresh SQLite,
PostgreSQL or MariaDB database, and a direct look into that database to check what a request wrote. Shared by the
RFC behaviour tests (test_rfc_*.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, create_engine, sql

from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.sql.demo_schema import create_demo_tables
from ecmahost.demo import demo_connector
from ecmahost.home import Home
from ecmahost.tls import generate_certificate

from e2e_host import TOKEN, RunningHost, start_serve_host
from support.databases import mariadb_database, postgres_database

TARGETS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
]
SYNC_DRIVERS = {"postgresql://": "postgresql+psycopg://", "mysql://": "mysql+pymysql://"}


def fresh_database(target: str, folder: Path) -> AbstractContextManager[str]:
    """A database of its own for one test module (so totals and pages hold only that module's users)."""
    if target == "postgres":
        return postgres_database()
    if target == "mariadb":
        return mariadb_database()
    return nullcontext(f"sqlite:///{folder / 'target.db'}")


def connector(name: str, url: str, **changes: Any) -> dict[str, Any]:
    """The demo connector file under `name` on `url`, with top-level keys replaced (e.g. `limits={...}`)."""
    return {**demo_connector(name, url), **changes}


def serve(home: Path, url: str, connectors: list[dict[str, Any]]) -> RunningHost:
    """Create the demo tables at `url`, save `connectors` (token `TOKEN`) and start `ecmahost serve`."""
    asyncio.run(create_demo_tables(url, home))
    store = ConnectorStore(Home(home))
    for raw in connectors:
        store.save(raw)
        store.set_token(raw["name"], TOKEN)
    generate_certificate(Home(home), hostnames=["localhost"])
    return start_serve_host(home)


def scim_client(host: RunningHost, name: str, token: str = TOKEN) -> httpx.Client:
    """A SCIM client on connector `name` of `host`, trusting its certificate."""
    return httpx.Client(
        base_url=f"{host.root}/ecma2host_{name}/scim",
        headers={"Authorization": f"Bearer {token}"},
        verify=host.tls(),
        timeout=30,
    )


@contextmanager
def database(url: str) -> Iterator[Connection]:
    """A connection to the target database itself (not through the host), to check what was written."""
    for prefix, driver in SYNC_DRIVERS.items():
        if url.startswith(prefix):
            url = driver + url[len(prefix) :]
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def rows(url: str, table_name: str, *columns: str, **equal: Any) -> list[dict[str, Any]]:
    """`columns` of the rows of `table_name` whose columns equal `equal`, read from the target itself (names are
    quoted as each dialect needs)."""
    table = sql.table(table_name, *(sql.column(name) for name in {*columns, *equal}))
    statement = sql.select(*(table.c[name] for name in columns))
    for name, value in equal.items():
        statement = statement.where(table.c[name] == value)
    with database(url) as conn:
        return [dict(row._mapping) for row in conn.execute(statement)]


def list_page(scim: httpx.Client, **params: Any) -> dict[str, Any]:
    """One page of `GET /Users` with `params`, which must answer 200."""
    response = scim.get("/Users", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def walk(scim: httpx.Client, count: int, **params: Any) -> list[dict[str, Any]]:
    """Every resource, page by page of `count`, checking each page's own numbers on the way."""
    found: list[dict[str, Any]] = []
    start, total = 1, None
    while True:
        page = list_page(scim, startIndex=start, count=count, **params)
        total = page["totalResults"] if total is None else total
        assert page["totalResults"] == total, "totalResults is stable from page to page"
        assert page["startIndex"] == start
        assert page["itemsPerPage"] == len(page["Resources"]) == min(count, max(total - start + 1, 0))
        if not page["Resources"]:
            break
        found += page["Resources"]
        start += len(page["Resources"])
    assert len(found) == total
    return found
