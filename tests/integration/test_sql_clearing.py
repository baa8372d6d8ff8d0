"""`SqlConnector.clear_rules` read from a table unlike the demo's, on each database: generated columns (identity,
computed, auto-increment) and NOT NULL columns with a default are kept, NOT NULL columns without a default are
required, nullable ones clearable; the anchor and the timestamp columns are never named."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ecmahost.config.model import ConnectorConfig, ObjectTypeConfig
from ecmahost.connectors.sql import SqlConnector
from ecmahost.connectors.sql.models import SqlConnection, SqlObjectType

pytestmark = pytest.mark.anyio

DDL = {
    "sqlite": """CREATE TABLE "Staff" (
        "Id" VARCHAR(36) PRIMARY KEY,
        "Login" VARCHAR(64) NOT NULL,
        "Badge" VARCHAR(16) NOT NULL,
        "Status" VARCHAR(16) NOT NULL DEFAULT 'new',
        "Nick" VARCHAR(64),
        "Upper" VARCHAR(64) GENERATED ALWAYS AS (upper("Login")) VIRTUAL,
        "Changed" TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
    )""",
    "postgresql": """CREATE TABLE "Staff" (
        "Id" VARCHAR(36) PRIMARY KEY,
        "Login" VARCHAR(64) NOT NULL,
        "Badge" VARCHAR(16) NOT NULL,
        "Status" VARCHAR(16) NOT NULL DEFAULT 'new',
        "Nick" VARCHAR(64),
        "Upper" VARCHAR(64) GENERATED ALWAYS AS (upper("Login")) STORED,
        "Seq" INTEGER GENERATED ALWAYS AS IDENTITY,
        "Changed" TIMESTAMP NOT NULL DEFAULT now()
    )""",
    "mysql": """CREATE TABLE `Staff` (
        `Id` VARCHAR(36) PRIMARY KEY,
        `Login` VARCHAR(64) NOT NULL,
        `Badge` VARCHAR(16) NOT NULL,
        `Status` VARCHAR(16) NOT NULL DEFAULT 'new',
        `Nick` VARCHAR(64),
        `Upper` VARCHAR(64) GENERATED ALWAYS AS (upper(`Login`)) VIRTUAL,
        `Seq` INTEGER NOT NULL AUTO_INCREMENT UNIQUE,
        `Changed` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
    )""",
}
SYNC = {"postgresql://": "postgresql+psycopg://", "mysql://": "mysql+pymysql://"}


def _create_table(url: str) -> None:
    for prefix, driver in SYNC.items():
        url = url.replace(prefix, driver, 1) if url.startswith(prefix) else url
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    'DROP TABLE IF EXISTS "Staff"' if engine.dialect.name != "mysql" else "DROP TABLE IF EXISTS `Staff`"
                )
            )
            conn.execute(text(DDL[engine.dialect.name]))
    finally:
        engine.dispose()


def _config(url: str, seq: bool) -> ConnectorConfig:
    names = ["Login", "Badge", "Status", "Nick", "Upper", *(["Seq"] if seq else [])]
    user = ObjectTypeConfig.model_validate(
        {
            "anchor": {"attribute": "Id", "generate": "uuid"},
            "attributes": {"Id": {"mutability": "readOnly"}, **{n: {} for n in names}},
            "target": SqlObjectType.model_validate({"table": "Staff", "timestamps": {"modified": "Changed"}}),
        }
    )
    return ConnectorConfig.model_validate(
        {"name": "staff", "type": "sql", "connection": SqlConnection(url=url), "object_types": {"User": user}}
    )


@pytest.mark.parametrize(
    "database",
    [
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ],
)
async def test_clear_rules_follow_the_table(database: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url = request.getfixturevalue(f"{database}_url")
    _create_table(url)
    connector = SqlConnector(_config(url, seq=database != "sqlite"), home=tmp_path)
    await connector.open()
    try:
        rules = await connector.clear_rules("User")
    finally:
        await connector.close()
    generated = {"Upper"} | ({"Seq"} if database != "sqlite" else set())
    assert rules.keep == {"Status"} | generated
    assert rules.required == {"Login", "Badge"}
