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

from ecmahost.config.model import (
    AnchorConfig,
    AttributeConfig,
    AttributeType,
    ConnectorConfig,
    DeprovisionAction,
    Deprovisioning,
    DeprovisionKind,
    ObjectTypeConfig,
)
from ecmahost.connectors.sql.engine import async_url
from ecmahost.connectors.sql.models import ChildTable, MembersTable, SqlConnection, SqlObjectType, Timestamps

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
    """A connector over the demo tables: User (with phone numbers) and Group (with members)."""
    user_attributes = {
        "ContosoLogin": AttributeConfig(scim="userName", required=True, unique=True),
        "FirstName": AttributeConfig(scim="name.givenName"),
        "LastName": AttributeConfig(scim="name.familyName"),
        "Email": AttributeConfig(scim='emails[type eq "work"].value'),
        "DisplayName": AttributeConfig(scim="displayName"),
        "NickName": AttributeConfig(scim="nickName"),
        "Title": AttributeConfig(scim="title"),
        "PreferredLanguage": AttributeConfig(scim="preferredLanguage"),
        "ExternalId": AttributeConfig(scim="externalId", case_exact=True),
        "Department": AttributeConfig(scim=f"{_ENTERPRISE}:department"),
        "EmployeeNumber": AttributeConfig(scim=f"{_ENTERPRISE}:employeeNumber"),
        "CostCenter": AttributeConfig(scim=f"{_ENTERPRISE}:costCenter"),
        "Organization": AttributeConfig(scim=f"{_ENTERPRISE}:organization"),
        "ManagerGUID": AttributeConfig(scim=f"{_ENTERPRISE}:manager.value", type=AttributeType.REFERENCE),
        "AzureID": AttributeConfig(),
        "textID": AttributeConfig(),
        "Active": AttributeConfig(scim="active", type=AttributeType.BOOLEAN),
        "IsSoftDeleted": AttributeConfig(type=AttributeType.BOOLEAN),
        "phoneNumbers": AttributeConfig(
            scim="phoneNumbers",
            type=AttributeType.COMPLEX,
            multi_valued=True,
            sub_attributes=("value", "type", "primary"),
        ),
    }
    user = ObjectTypeConfig(
        anchor=AnchorConfig(attribute="InternalGUID"),
        dn="autogenerated",
        attributes=user_attributes,
        deprovisioning=Deprovisioning(
            disable=DeprovisionAction(kind=DeprovisionKind.SET, values={"Active": False}),
        ),
        target=SqlObjectType(
            table="Employees",
            child_tables={
                "phoneNumbers": ChildTable(
                    table="EmployeePhoneNumbers",
                    key="EmployeeGUID",
                    columns={"value": "Value", "type": "Type", "primary": "IsPrimary"},
                )
            },
            timestamps=Timestamps(created="CreatedAt", modified="ModifiedAt"),
        ),
    )
    group = ObjectTypeConfig(
        anchor=AnchorConfig(attribute="GroupGUID"),
        dn="autogenerated",
        attributes={
            "DisplayName": AttributeConfig(scim="displayName", required=True, unique=True),
            "ExternalId": AttributeConfig(scim="externalId", case_exact=True),
            "Description": AttributeConfig(),
        },
        target=SqlObjectType(
            table="Groups",
            members=MembersTable(table="GroupMembers", group_key="GroupGUID", member_key="MemberGUID"),
            timestamps=Timestamps(created="CreatedAt", modified="ModifiedAt"),
        ),
    )
    return ConnectorConfig(
        name=name,
        type="sql",
        description="Demo employees database",
        connection=SqlConnection(url=url),
        object_types={"User": user, "Group": group},
    )
