"""The SQL connector's own configuration: its `connection` block and the SQL keys of an object type.

Generic object type keys (anchor, attributes, deprovisioning, dn) live in `config.model.ObjectTypeConfig`; this
module validates only what is specific to SQL. It does not touch a database: checks that need one (does the table
exist, does each complex attribute have a child table) happen when the connector first reflects its tables.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ecmahost.config.model import ConnectionSettings, TargetSettings


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SqlConnection(ConnectionSettings):
    """Where the database is and how to reach it.

    `url` is a SQLAlchemy URL without a password (`postgresql://app@db.example:5432/hr`, `mysql://root@host/hr`,
    `sqlite:///demo.db`, relative to the connector's home folder). `password` comes resolved from the config
    layer (`${env:X}` or an encrypted secret); it is never part of the URL.
    """

    url: str
    password: str | None = Field(default=None, repr=False)
    pool_size: int = Field(default=10, ge=1, le=1000)
    pool_timeout_seconds: float = Field(default=5.0, gt=0)
    connect_timeout_seconds: float = Field(default=5.0, gt=0)
    statement_timeout_seconds: float = Field(default=30.0, gt=0)
    pre_ping: bool = False
    """Test each pooled connection before use. Off by default: it costs a round trip or three per request (18% of
    a request's CPU measured with asyncpg); a connection found dead is replaced and a read retried instead."""
    direct: bool = True
    """On PostgreSQL with asyncpg, run the statements (still built and compiled by SQLAlchemy) on asyncpg's own pool,
    without SQLAlchemy's execution layer: about a third less CPU per request (`docs/performance.md`). `false` runs
    them through SQLAlchemy like every other database. Other databases ignore it."""

    @field_validator("url")
    @classmethod
    def _url_without_password(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "not a SQLAlchemy URL; examples: postgresql://app@db.example:5432/hr, "
                "mysql://root@127.0.0.1/hr, sqlite:///demo.db"
            ) from None
        if url.password is not None:
            raise ValueError(
                "the URL contains a password: remove it from `url` and put it in `password` "
                "(for example password: ${env:DB_PASSWORD})"
            )
        return value


class ChildTable(_Strict):
    """A complex multi-valued attribute stored as rows of a child table: `key` holds the parent's anchor,
    `columns` maps each sub-attribute (`value`, `type`, `primary`, ...) to a column."""

    table: str
    key: str
    columns: dict[str, str]

    @field_validator("columns")
    @classmethod
    def _not_empty(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("map at least one sub-attribute to a column, e.g. {value: Value, type: Type}")
        return value


class MembersTable(_Strict):
    """Group membership as rows `(group_key, member_key)` of a link table."""

    table: str
    group_key: str
    member_key: str


class Timestamps(_Strict):
    """Columns the connector maintains itself, in UTC: `created` on insert, `modified` on insert and update."""

    created: str | None = None
    modified: str | None = None


class SqlObjectType(TargetSettings):
    """The SQL keys of one object type: the table whose columns are its target attributes, and where its
    complex attributes and members live."""

    table: str
    schema_: str | None = Field(default=None, alias="schema")
    child_tables: dict[str, ChildTable] = Field(default_factory=dict)
    members: MembersTable | None = None
    timestamps: Timestamps = Timestamps()

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _distinct_child_tables(self) -> SqlObjectType:
        tables = [child.table for child in self.child_tables.values()]
        if len(tables) != len(set(tables)):
            raise ValueError("two complex attributes cannot share one child table")
        return self
