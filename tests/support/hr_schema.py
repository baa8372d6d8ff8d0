"""A schema unlike the demo's, as issue 13 met it: people with a VARCHAR(36) key that has no default, teams with
an auto-increment key, and a link table whose foreign keys say which column is which."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, MetaData, String, Table, true


def hr_metadata() -> MetaData:
    metadata = MetaData()
    Table(
        "HrPeople",
        metadata,
        Column("PersonId", String(36), primary_key=True),
        Column("Login", String(128), nullable=False, unique=True),
        Column("GivenName", String(64)),
        Column("Enabled", Boolean, nullable=False, server_default=true()),
        Column("Badge", String(16), nullable=False),
        Column("Number", Integer, nullable=False, unique=True),
        mysql_engine="InnoDB",
    )
    Table(
        "HrTeams",
        metadata,
        Column("TeamId", Integer, primary_key=True, autoincrement=True),
        Column("TeamName", String(128), nullable=False),
        mysql_engine="InnoDB",
    )
    Table(
        "HrTeamMembers",
        metadata,
        Column("TeamRef", Integer, ForeignKey("HrTeams.TeamId"), primary_key=True),
        Column("PersonRef", String(36), ForeignKey("HrPeople.PersonId"), primary_key=True),
        mysql_engine="InnoDB",
    )
    return metadata
