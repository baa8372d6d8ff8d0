"""Schemas the wizard was not designed on, created with SQLAlchemy Core so one definition gives the same tables
(names and case kept) on SQLite, PostgreSQL and MariaDB:

- `hr`: CamelCase, a VARCHAR(36) primary key without default (`People.PersonId`), a `TeamMembers` link table
  with foreign keys to `People` and `Teams`;
- `snake`: snake_case, INTEGER identity keys, a defaulted `is_enabled` flag and `created_at`/`updated_at`, a
  link table `app_group_member(group_id, user_id)`;
- `cryptic`: names that say nothing (`t_acct(acct_key, lgn, fnm, lnm)`), the login unique and required;
- `cryptic_loose`: the same without the unique login, and `t_num(num_key INTEGER primary key, no default)`.
"""

from __future__ import annotations

import sqlalchemy as sa


def hr() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table(
        "People",
        metadata,
        sa.Column("PersonId", sa.String(36), primary_key=True),
        sa.Column("UserName", sa.String(100), nullable=False, unique=True),
        sa.Column("GivenName", sa.String(100)),
        sa.Column("Surname", sa.String(100)),
        sa.Column("EmailAddress", sa.String(200)),
        sa.Column("JobTitle", sa.String(100)),
        sa.Column("IsActive", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    sa.Table(
        "Teams",
        metadata,
        sa.Column("TeamId", sa.String(36), primary_key=True),
        sa.Column("TeamName", sa.String(100), nullable=False, unique=True),
        sa.Column("Description", sa.String(200)),
    )
    sa.Table(
        "TeamMembers",
        metadata,
        sa.Column("Team", sa.String(36), sa.ForeignKey("Teams.TeamId"), primary_key=True),
        sa.Column("Person", sa.String(36), sa.ForeignKey("People.PersonId"), primary_key=True),
    )
    return metadata


def snake() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table(
        "app_user",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_name", sa.String(64), nullable=False, unique=True),
        sa.Column("given_name", sa.String(100)),
        sa.Column("family_name", sa.String(100)),
        sa.Column("email_address", sa.String(200)),
        sa.Column("department", sa.String(100)),
        sa.Column("is_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()),
        sa.Column("updated_at", sa.DateTime),
    )
    sa.Table(
        "app_group",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("group_name", sa.String(100), nullable=False, unique=True),
    )
    sa.Table(
        "app_group_member",
        metadata,
        sa.Column("group_id", sa.Integer, sa.ForeignKey("app_group.id"), primary_key=True, autoincrement=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id"), primary_key=True, autoincrement=False),
    )
    return metadata


def cryptic(*, unique_login: bool = True) -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table(
        "t_acct",
        metadata,
        sa.Column("acct_key", sa.String(36), primary_key=True),
        sa.Column("lgn", sa.String(40), nullable=not unique_login, unique=unique_login),
        sa.Column("fnm", sa.String(40)),
        sa.Column("lnm", sa.String(40)),
    )
    sa.Table(
        "t_num",
        metadata,
        sa.Column("num_key", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("lgn", sa.String(40), nullable=False, unique=True),
    )
    return metadata


def create(url: str, metadata: sa.MetaData) -> None:
    engine = sa.create_engine(url)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()
