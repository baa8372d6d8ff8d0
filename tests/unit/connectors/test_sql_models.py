"""The SQL connector's config models and URL mapping: no database needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from ecmahost.connectors.sql import SqlConnection, SqlObjectType
from ecmahost.connectors.sql.engine import async_url


def test_a_url_with_a_password_is_rejected_with_the_fix() -> None:
    with pytest.raises(ValidationError, match="put it in `password`") as raised:
        SqlConnection(url="postgresql://app:s3cret@db/hr")
    assert "s3cret" not in str(raised.value).replace("postgresql://app:s3cret@db/hr", "")


def test_connection_defaults() -> None:
    connection = SqlConnection(url="sqlite:///demo.db")
    assert (connection.pool_size, connection.pool_timeout_seconds) == (10, 5.0)
    assert (connection.connect_timeout_seconds, connection.statement_timeout_seconds) == (5.0, 30.0)
    assert "password" not in repr(SqlConnection(url="sqlite:///x.db", password="s3cret")).replace("password=", "")


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://app@db/hr", "postgresql+asyncpg"),
        ("postgresql+psycopg2://app@db/hr", "postgresql+asyncpg"),
        ("mysql://root@db/hr", "mysql+aiomysql"),
        ("mysql+pymysql://root@db/hr", "mysql+aiomysql"),
        ("mariadb://root@db/hr", "mysql+aiomysql"),
        ("sqlite:///demo.db", "sqlite+aiosqlite"),
        ("postgresql+psycopg_async://app@db/hr", "postgresql+psycopg_async"),
    ],
)
def test_sync_urls_map_to_async_drivers(url: str, driver: str) -> None:
    assert async_url(url, home=Path("/home/x")).drivername == driver


def test_relative_sqlite_paths_are_relative_to_the_connector_home(tmp_path: Path) -> None:
    assert async_url("sqlite:///demo.db", home=tmp_path).database == str(tmp_path / "demo.db")
    assert async_url("sqlite:////abs/demo.db", home=tmp_path).database == "/abs/demo.db"


def test_the_password_is_added_to_the_engine_url_but_masked_in_its_repr() -> None:
    url = async_url("postgresql://app@db/hr", home=Path("/"), password="s3cret")
    assert url.password == "s3cret"
    assert "s3cret" not in repr(url)


def test_object_type_rejects_unknown_keys_and_accepts_schema() -> None:
    assert SqlObjectType.model_validate({"table": "Employees", "schema": "hr"}).schema_ == "hr"
    with pytest.raises(ValidationError):
        SqlObjectType.model_validate({"table": "Employees", "tabel": "x"})
