"""Removing the value of a NOT NULL column that has a default (PATCH `remove`, an explicit null) writes the
column's declared default, read from the reflected table, on SQLite, PostgreSQL and MariaDB; a default the
database computes (CURRENT_TIMESTAMP) cannot be written by the host and is refused naming the attribute, with the
row left as it was. On insert, a null leaves the default to the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ecmahost.config.model import ConnectorConfig, ObjectTypeConfig
from ecmahost.connectors.errors import ConstraintViolation, Problem
from ecmahost.connectors.query import Change
from ecmahost.connectors.sql import SqlConnector
from ecmahost.connectors.sql.models import SqlConnection, SqlObjectType

pytestmark = pytest.mark.anyio

COLUMNS = """
    {q}Id{q} VARCHAR(36) PRIMARY KEY,
    {q}Login{q} VARCHAR(64) NOT NULL,
    {q}Status{q} VARCHAR(16) NOT NULL DEFAULT 'new',
    {q}Quote{q} VARCHAR(16) NOT NULL DEFAULT 'it''s',
    {q}Level{q} INTEGER NOT NULL DEFAULT 3,
    {q}Enabled{q} BOOLEAN NOT NULL DEFAULT {true},
    {q}Hired{q} TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
"""
DIALECTS = {"sqlite": ('"', "1"), "postgresql": ('"', "true"), "mysql": ("`", "1")}
SYNC = {"postgresql://": "postgresql+psycopg://", "mysql://": "mysql+pymysql://"}
ATTRIBUTES = {
    "Id": {},
    "Login": {},
    "Status": {},
    "Quote": {},
    "Level": {"type": "integer"},
    "Enabled": {"type": "boolean"},
    "Hired": {"type": "dateTime"},
}


def _sync(url: str) -> str:
    for prefix, driver in SYNC.items():
        url = url.replace(prefix, driver, 1) if url.startswith(prefix) else url
    return url


def _create_table(url: str) -> None:
    engine = create_engine(_sync(url))
    try:
        quote, true = DIALECTS[engine.dialect.name]
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {quote}People{quote}"))
            conn.execute(text(f"CREATE TABLE {quote}People{quote} ({COLUMNS.format(q=quote, true=true)})"))
    finally:
        engine.dispose()


def _config(url: str) -> ConnectorConfig:
    user = ObjectTypeConfig.model_validate(
        {
            "anchor": {"attribute": "Id", "generate": "uuid"},
            "attributes": ATTRIBUTES,
            "target": SqlObjectType.model_validate({"table": "People"}),
        }
    )
    return ConnectorConfig.model_validate(
        {"name": "people", "type": "sql", "connection": SqlConnection(url=url), "object_types": {"User": user}}
    )


@pytest.mark.parametrize(
    "database",
    [
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ],
)
async def test_a_removed_defaulted_column_gets_its_default(
    database: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = request.getfixturevalue(f"{database}_url")
    _create_table(url)
    connector = SqlConnector(_config(url), home=tmp_path)
    await connector.open()
    try:
        created = await connector.create("User", {"Login": "ada", "Status": None, "Level": None})
        anchor = created["Id"]
        assert (created["Status"], created["Level"], created["Enabled"]) == ("new", 3, True)
        await connector.update(
            "User", anchor, Change(set={"Status": "left", "Quote": "q", "Level": 9, "Enabled": False})
        )
        await connector.update("User", anchor, Change(set={"Status": None, "Quote": None, "Level": None}))
        await connector.update("User", anchor, Change(set={"Enabled": None}))
        row = await connector.get("User", anchor)
        assert (row["Status"], row["Quote"], row["Level"], row["Enabled"]) == ("new", "it's", 3, True)

        with pytest.raises(ConstraintViolation) as refused:
            await connector.update("User", anchor, Change(set={"Login": "grace", "Hired": None}))
        assert refused.value.attribute == "Hired"
        assert refused.value.problem is Problem.REQUIRED
        assert refused.value.detail.startswith("Hired cannot be removed")
        assert (await connector.get("User", anchor))["Login"] == "ada"
    finally:
        await connector.close()
