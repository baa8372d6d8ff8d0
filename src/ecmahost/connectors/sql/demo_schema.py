"""The demo database: Microsoft's generic SQL tutorial `Employees` table plus what a full SCIM user needs, a
phone number child table, groups and their members; and a connector config that serves it.

`create_demo_tables` creates the tables when absent (SQLite, PostgreSQL, MariaDB/MySQL). It inserts no rows.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    false,
    func,
    true,
)

from ecmahost.config.model import GENERIC_OBJECT_TYPE_KEYS, ConnectorConfig, ObjectTypeConfig
from ecmahost.connectors.sql.engine import async_url
from ecmahost.connectors.sql.models import SqlConnection, SqlObjectType

_MYSQL = {"mysql_charset": "utf8mb4", "mysql_engine": "InnoDB"}
_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def demo_metadata() -> MetaData:
    metadata = MetaData()
    employees = Table(
        "Employees",
        metadata,
        Column("InternalGUID", String(36), primary_key=True),
        Column("ContosoLogin", String(128), nullable=False, unique=True),
        *(Column(name, String(size)) for name, size in _EMPLOYEE_STRINGS),
        Column("Active", Boolean, nullable=False, server_default=true()),
        Column("IsSoftDeleted", Boolean, nullable=False, server_default=false()),
        Column("CreatedAt", DateTime(timezone=True)),
        Column("ModifiedAt", DateTime(timezone=True)),
        Index("ix_Employees_Email", "Email"),
        Index("ix_Employees_ExternalId", "ExternalId"),
        **_MYSQL,
    )
    Index("ix_Employees_lower_ContosoLogin", func.lower(employees.c.ContosoLogin)).ddl_if(
        dialect=("postgresql", "sqlite")
    )
    Table(
        "EmployeePhoneNumbers",
        metadata,
        Column("Id", Integer, primary_key=True, autoincrement=True),
        Column(
            "EmployeeGUID",
            String(36),
            ForeignKey("Employees.InternalGUID", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("Type", String(32)),
        Column("Value", String(64), nullable=False),
        Column("IsPrimary", Boolean),
        **_MYSQL,
    )
    Table(
        "Groups",
        metadata,
        Column("GroupGUID", String(36), primary_key=True),
        Column("DisplayName", String(256), nullable=False, unique=True),
        Column("ExternalId", String(255)),
        Column("Description", String(1024)),
        Column("CreatedAt", DateTime(timezone=True)),
        Column("ModifiedAt", DateTime(timezone=True)),
        **_MYSQL,
    )
    Table(
        "GroupMembers",
        metadata,
        Column("GroupGUID", String(36), ForeignKey("Groups.GroupGUID", ondelete="CASCADE"), primary_key=True),
        Column(
            "MemberGUID",
            String(36),
            ForeignKey("Employees.InternalGUID", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        ),
        **_MYSQL,
    )
    return metadata


_EMPLOYEE_STRINGS = (
    ("FirstName", 50),
    ("LastName", 50),
    ("Email", 128),
    ("AzureID", 64),
    ("textID", 128),
    ("ExternalId", 255),
    ("DisplayName", 256),
    ("NickName", 128),
    ("Title", 128),
    ("Department", 128),
    ("EmployeeNumber", 64),
    ("CostCenter", 64),
    ("Organization", 128),
    ("ManagerGUID", 36),
    ("PreferredLanguage", 35),
)


async def create_demo_tables(url: str, home: Path, *, password: str | None = None) -> None:
    """Create the demo tables in the database at `url` (a sync-style URL is fine) unless they exist."""
    from sqlalchemy.ext.asyncio import create_async_engine

    target = async_url(url, home=home, password=password)
    if target.get_backend_name() == "sqlite" and target.database not in (None, "", ":memory:"):
        Path(target.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(target)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(demo_metadata().create_all)
    finally:
        await engine.dispose()


def demo_connector_config(name: str = "demo", url: str = "sqlite:///demo.db") -> ConnectorConfig:
    """The demo connector (`ecmahost.demo.demo_connector`, the file `ecmahost demo` writes) as a validated
    config, for code that needs one without a home folder."""
    from ecmahost.demo import demo_connector  # the one definition of the demo mapping

    raw = demo_connector(name, url)
    object_types = {}
    for object_type, spec in raw["object_types"].items():
        generic = {k: v for k, v in spec.items() if k in GENERIC_OBJECT_TYPE_KEYS}
        target = SqlObjectType.model_validate({k: v for k, v in spec.items() if k not in GENERIC_OBJECT_TYPE_KEYS})
        object_types[object_type] = ObjectTypeConfig.model_validate({**generic, "target": target})
    connection = SqlConnection.model_validate(raw["connection"])
    return ConnectorConfig.model_validate({**raw, "connection": connection, "object_types": object_types})
