"""Compare a SQL connector file with the database: every problem at once, each with its file key and its fix.

Runs in a sync context (`conn.run_sync`) on tables already reflected into a `MetaData` (`tables.reflect`): it
asks the database nothing more. It checks that each table and column the file names exists, that the members
link table's keys are set and exist, that each child table's key and columns exist, that the anchor can be
produced (a UUID fits the column, `generate: target` has a column default or identity), and that every
NOT NULL column without a default is mapped (otherwise each create fails). It reports; it does not serve.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, MetaData, Table
from sqlalchemy import types as sqltypes

from ecmahost.config.model import AnchorGeneration, AttributeType, ConnectorConfig, ObjectTypeConfig
from ecmahost.connectors.base import TargetProblem
from ecmahost.connectors.errors import ConfigurationError
from ecmahost.connectors.sql.models import SqlObjectType
from ecmahost.connectors.sql.tables import target_of
from ecmahost.connectors.verify import anchor_problems, closest

UUID_LENGTH = 36


def object_type_problems(metadata: MetaData, config: ConnectorConfig, dialect: str) -> list[TargetProblem]:
    found: list[TargetProblem] = []
    for name, object_type in config.object_types.items():
        found += anchor_problems(config, name, object_type)
        try:
            target = target_of(name, object_type)
        except ConfigurationError as exc:
            found.append(TargetProblem(f"object_types.{name}.table", exc.detail, object_type=name))
            continue
        found += _ObjectTypeCheck(metadata, dialect, name, object_type, target).problems()
    return found


class _ObjectTypeCheck:
    def __init__(
        self, metadata: MetaData, dialect: str, name: str, object_type: ObjectTypeConfig, target: SqlObjectType
    ) -> None:
        self.metadata = metadata
        self.dialect = dialect
        self.name = name
        self.object_type = object_type
        self.target = target
        self.where = f"object_types.{name}"
        self.found: list[TargetProblem] = []

    def problem(self, key: str, problem: str, fix: str = "") -> None:
        self.found.append(TargetProblem(f"{self.where}.{key}", problem, fix, self.name))

    def problems(self) -> list[TargetProblem]:
        table = self.table(self.target.table, "table")
        if table is not None:
            self.main_table(table)
        self.child_tables()
        self.members()
        return self.found

    def table(self, name: str, key: str) -> Table | None:
        schema = self.target.schema_
        full = f"{schema}.{name}" if schema else name
        table = self.metadata.tables.get(full)
        if table is None:
            known = [t.name for t in self.metadata.tables.values() if t.schema == schema]
            where = f" in schema {schema!r}" if schema else ""
            self.problem(key, f"table {full!r} not found in the database{where}", f"{closest(name, known)}")
        return table

    def column(self, table: Table, name: str, key: str) -> Column[Any] | None:
        if name and name in table.c:
            return table.c[name]
        what = f"column {name!r} not found" if name else "no column set"
        near = closest(name, table.c.keys())
        hint = f"{near}? " if near.startswith("did you mean") else ""
        self.problem(
            key, f"{what} in table {table.name!r}", f"{hint}set it to a column of {table.name}: {_names(table)}"
        )
        return None

    def main_table(self, table: Table) -> None:
        object_type = self.object_type
        mapped = {object_type.anchor.attribute}
        anchor = self.column(table, object_type.anchor.attribute, "anchor")
        complex_names = {a for a, c in object_type.attributes.items() if c.type is AttributeType.COMPLEX}
        for attribute in object_type.attributes.keys() - complex_names:
            if attribute != object_type.anchor.attribute:
                self.column(table, attribute, f"attributes.{attribute}")
            mapped.add(attribute)
        for kind in ("created", "modified"):
            column = getattr(self.target.timestamps, kind)
            if column:
                self.column(table, column, f"timestamps.{kind}")
                mapped.add(column)
        if anchor is not None:
            self.anchor(anchor)
        self.required_columns(table, mapped, "attributes")

    def anchor(self, column: Column[Any]) -> None:
        generate = self.object_type.anchor.generate
        if generate is AnchorGeneration.UUID and not _holds_uuid(column):
            self.problem(
                "anchor.generate",
                f"the host generates a 36-character UUID, but column {column.name!r} is {_type_text(column)}",
                "set `generate: target` if the database numbers it (identity, auto-increment), or `generate: none` "
                "if clients send it",
            )
        if generate is AnchorGeneration.TARGET and not _filled_by_database(column, self.dialect):
            self.problem(
                "anchor.generate",
                f"`generate: target`, but column {column.name!r} has no default, identity or auto-increment",
                "set `generate: uuid` (the host generates a UUID) or `generate: none` (clients send it), or give "
                "the column a default in the database",
            )

    def required_columns(self, table: Table, mapped: set[str], key: str) -> None:
        """NOT NULL columns without a default that the host never writes: every INSERT would fail."""
        for column in table.c:
            if column.name not in mapped and not column.nullable and not _filled_by_database(column, self.dialect):
                self.problem(
                    f"{key}.{column.name}",
                    f"column {table.name}.{column.name} is NOT NULL without a default, and the connector does not "
                    "write it: every create would fail",
                    "select it (and map it to a SCIM attribute clients send) or give it a default in the database",
                )

    def child_tables(self) -> None:
        complex_names = {a for a, c in self.object_type.attributes.items() if c.type is AttributeType.COMPLEX}
        for attribute in sorted(complex_names - self.target.child_tables.keys()):
            self.problem(
                f"attributes.{attribute}",
                "a `type: complex` attribute needs a child table",
                f"add `child_tables: {{{attribute}: {{table: ..., key: ..., columns: {{value: ...}}}}}}`",
            )
        for attribute, child in self.target.child_tables.items():
            key = f"child_tables.{attribute}"
            if attribute not in complex_names:
                self.problem(key, f"{attribute!r} is not a `type: complex` selected attribute", "remove the entry")
            table = self.table(child.table, f"{key}.table")
            if table is None:
                continue
            parent = self.column(table, child.key, f"{key}.key")
            for sub, column in child.columns.items():
                self.column(table, column, f"{key}.columns.{sub}")
            if parent is not None:
                self.required_columns(table, {child.key, *child.columns.values()}, f"{key}.columns")

    def members(self) -> None:
        members = self.target.members
        if members is None:
            return
        if self.name != "Group":
            self.problem("members", "only the Group object type has members", "move `members:` under Group")
            return
        table = self.table(members.table, "members.table")
        if table is None:
            return
        group = self.column(table, members.group_key, "members.group_key")
        member = self.column(table, members.member_key, "members.member_key")
        if group is None or member is None:
            return
        if group.name == member.name:
            self.problem("members.member_key", "group_key and member_key are the same column", _names(table))
        self.required_columns(table, {members.group_key, members.member_key}, "members")


def _names(table: Table) -> str:
    """The table's columns, a foreign key's target next to it: what an admin needs to pick a key."""
    shown = []
    for column in table.c:
        targets = sorted(f"{fk.column.table.name}.{fk.column.name}" for fk in column.foreign_keys)
        shown.append(f"{column.name} (-> {', '.join(targets)})" if targets else column.name)
    return ", ".join(shown)


def _type_text(column: Column[Any]) -> str:
    try:
        return str(column.type)
    except Exception:  # some reflected types cannot render themselves
        return type(column.type).__name__


def _holds_uuid(column: Column[Any]) -> bool:
    column_type = column.type
    if isinstance(column_type, sqltypes.Uuid):
        return True
    if not isinstance(column_type, sqltypes.String) or isinstance(column_type, sqltypes.Enum):
        return False
    length = getattr(column_type, "length", None)
    return length is None or length >= UUID_LENGTH


def _filled_by_database(column: Column[Any], dialect: str) -> bool:
    """A default, identity, computed or auto-increment column: the database fills it when an INSERT omits it."""
    if column.server_default is not None or column.identity is not None or column.computed is not None:
        return True
    if column.autoincrement is True:
        return True
    # SQLite's INTEGER PRIMARY KEY is the rowid (MariaDB and PostgreSQL reflect their auto-increment explicitly).
    primary = list(column.table.primary_key.columns)
    return dialect == "sqlite" and primary == [column] and isinstance(column.type, sqltypes.Integer)
