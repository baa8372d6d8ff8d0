"""Schemas shaped unlike the demo, for the "any schema" end-to-end test: each one as SQLAlchemy tables, with the
facts the test checks against (which column holds what). None of their names is one the demo uses.

- `hr`: CamelCase, a `VARCHAR(36)` primary key the host must generate, a link table whose name says nothing.
- `snake`: snake_case, integer identity keys the database generates, timestamps with server defaults.
- `terse`: lower-case abbreviations and a link table with its own surrogate key.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    func,
    true,
)


@dataclass(frozen=True)
class ForeignSchema:
    """Tables plus the columns that hold each fact the test checks."""

    name: str
    metadata: MetaData
    users: str
    groups: str
    links: str
    user_key: str
    group_key: str
    link_user: str
    link_group: str
    login: str
    given: str
    family: str
    mail: str
    enabled: str
    group_name: str


def hr() -> ForeignSchema:
    metadata = MetaData()
    Table(
        "People",
        metadata,
        Column("PersonId", String(36), primary_key=True),
        Column("LoginName", String(128), nullable=False, unique=True),
        Column("GivenName", String(64)),
        Column("Surname", String(64)),
        Column("MailAddress", String(256)),
        Column("JobTitle", String(64)),
        Column("Enabled", Boolean, nullable=False, server_default=true()),
    )
    Table(
        "Teams",
        metadata,
        Column("TeamId", String(36), primary_key=True),
        Column("TeamName", String(128), nullable=False, unique=True),
        Column("Purpose", String(256)),
    )
    Table(
        "TeamMembers",
        metadata,
        Column("Team", String(36), ForeignKey("Teams.TeamId"), primary_key=True),
        Column("Person", String(36), ForeignKey("People.PersonId"), primary_key=True),
    )
    return ForeignSchema(
        "hr", metadata, "People", "Teams", "TeamMembers", "PersonId", "TeamId", "Person", "Team",
        "LoginName", "GivenName", "Surname", "MailAddress", "Enabled", "TeamName",
    )  # fmt: skip


def snake() -> ForeignSchema:
    metadata = MetaData()
    Table(
        "app_user",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("user_name", String(128), nullable=False, unique=True),
        Column("first_name", String(64)),
        Column("last_name", String(64)),
        Column("email_address", String(256)),
        Column("is_enabled", Boolean, nullable=False, server_default=true()),
        Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    )
    Table(
        "app_group",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("group_name", String(128), nullable=False, unique=True),
    )
    Table(
        "app_user_group",
        metadata,
        Column("group_id", Integer, ForeignKey("app_group.id"), primary_key=True),
        Column("user_id", Integer, ForeignKey("app_user.id"), primary_key=True),
    )
    return ForeignSchema(
        "snake", metadata, "app_user", "app_group", "app_user_group", "id", "id", "user_id", "group_id",
        "user_name", "first_name", "last_name", "email_address", "is_enabled", "group_name",
    )  # fmt: skip


def terse() -> ForeignSchema:
    metadata = MetaData()
    Table(
        "acct",
        metadata,
        Column("acct_no", Integer, primary_key=True, autoincrement=True),
        Column("username", String(64), nullable=False, unique=True),
        Column("givenname", String(64)),
        Column("sn", String(64)),
        Column("mail", String(256)),
        Column("active", Boolean, nullable=False, server_default=true()),
    )
    Table(
        "role",
        metadata,
        Column("role_no", Integer, primary_key=True, autoincrement=True),
        Column("name", String(64), nullable=False, unique=True),
    )
    Table(
        "grant_",
        metadata,
        Column("grant_no", Integer, primary_key=True, autoincrement=True),
        Column("role_ref", Integer, ForeignKey("role.role_no"), nullable=False),
        Column("acct_ref", Integer, ForeignKey("acct.acct_no"), nullable=False),
    )
    return ForeignSchema(
        "terse", metadata, "acct", "role", "grant_", "acct_no", "role_no", "acct_ref", "role_ref",
        "username", "givenname", "sn", "mail", "active", "name",
    )  # fmt: skip


SCHEMAS = {schema.name: schema for schema in (hr(), snake(), terse())}
