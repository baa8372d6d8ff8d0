"""Resolve a connector's object types into reflected SQLAlchemy tables and columns.

`reflect_object_types` runs once, on the connector's first use (or its `verify`), in a sync context
(`conn.run_sync`). Each object type is resolved on its own: a table or column named in the connector file that
the database lacks leaves that object type out, with why (naming the file key) in `Reflection.broken`, and the
other object types keep working. It builds no statements beyond what reflection does.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Column, Connection, Index, MetaData, Table, UniqueConstraint, inspect
from sqlalchemy import exc as sa_exc

from ecmahost.config.model import AnchorGeneration, AttributeType, ConnectorConfig, ObjectTypeConfig
from ecmahost.connectors.errors import ConfigurationError
from ecmahost.connectors.sql.models import SqlObjectType


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """A complex attribute's child table: `key` holds the parent anchor, `columns` maps sub-attributes."""

    attribute: str
    table: Table
    key: Column[Any]
    columns: dict[str, Column[Any]]


@dataclass(frozen=True, slots=True)
class MembersSpec:
    table: Table
    group_key: Column[Any]
    member_key: Column[Any]


@dataclass(frozen=True, slots=True)
class ObjectTables:
    """Everything the connector needs to read and write one object type."""

    object_type: str
    table: Table
    anchor: Column[Any]
    generate: AnchorGeneration
    columns: dict[str, Column[Any]]
    """single-valued target attribute (incl. the anchor and timestamp columns) -> column"""
    types: dict[str, AttributeType]
    case_exact: dict[str, bool]
    children: dict[str, ChildSpec] = field(default_factory=dict)
    members: MembersSpec | None = None
    created: Column[Any] | None = None
    modified: Column[Any] | None = None
    unique_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """constraint or index name -> columns, to name the attribute of a unique violation"""
    statements: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)
    """hot statements built once per query shape (`statements.cached`): filled as requests come"""
    derived: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)
    """other per-shape facts worked out once (column lists, value readers): filled as requests come"""


def target_of(name: str, object_type: ObjectTypeConfig) -> SqlObjectType:
    """The SQL keys of an object type, validating a plain dict if the loader left one."""
    target = object_type.target
    if isinstance(target, SqlObjectType):
        return target
    if isinstance(target, dict | BaseModel):
        data = target.model_dump(by_alias=True) if isinstance(target, BaseModel) else target
        return SqlObjectType.model_validate(data)
    raise ConfigurationError(f"object_types.{name}: set `table:` to the table that stores this object type")


@dataclass(slots=True)
class Reflection:
    metadata: MetaData
    """every table the object types name that the database has"""
    tables: dict[str, ObjectTables]
    """the object types that can be served"""
    broken: dict[str, str] = field(default_factory=dict)
    """object type -> why it cannot be served (a table or column the file names is missing)"""


def reflect_object_types(conn: Connection, config: ConnectorConfig) -> Reflection:
    metadata = MetaData()
    reflection = Reflection(metadata, {})
    with quiet_reflection():
        _reflect_together(conn, metadata, config)
        for name, object_type in config.object_types.items():
            try:
                reflection.tables[name] = _object_tables(conn, metadata, config.name, name, object_type)
            except ConfigurationError as exc:  # one object type's mistake must not stop the others
                reflection.broken[name] = exc.detail
    return reflection


def _reflect_together(conn: Connection, metadata: MetaData, config: ConnectorConfig) -> None:
    """Reflect every table the object types name in one `MetaData.reflect` per schema: SQLAlchemy then asks the
    catalog once per kind of fact for all tables (PostgreSQL: a handful of queries instead of about eight per
    table), which shortens the first request after a start. A table that is missing is left to `_table`, which
    names it in its error."""
    wanted: dict[str | None, set[str]] = {}
    for name, object_type in config.object_types.items():
        try:
            target = target_of(name, object_type)
        except ConfigurationError:  # reported by `_object_tables`
            continue
        names = wanted.setdefault(target.schema_, set())
        names.add(target.table)
        names.update(child.table for child in target.child_tables.values())
        if target.members is not None:
            names.add(target.members.table)
    for schema, names in wanted.items():
        present = set(inspect(conn).get_table_names(schema=schema)) & names
        if present:
            metadata.reflect(bind=conn, schema=schema, only=sorted(present))


@contextmanager
def quiet_reflection() -> Iterator[None]:
    """SQLite cannot reflect expression indexes (such as `lower(login)`); that is fine, they still work."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa_exc.SAWarning)
        yield


def _object_tables(
    conn: Connection, metadata: MetaData, connector: str, name: str, object_type: ObjectTypeConfig
) -> ObjectTables:
    target = target_of(name, object_type)
    where = f"connector {connector!r}, object_types.{name}"
    table = _table(conn, metadata, target.table, target.schema_, f"{where}.table")
    anchor_name = object_type.anchor.attribute
    columns = {anchor_name: _column(table, anchor_name, f"{where}.anchor")}
    complex_names = {a for a, c in object_type.attributes.items() if c.type is AttributeType.COMPLEX}
    for attribute in object_type.attributes.keys() - complex_names:
        columns[attribute] = _column(table, attribute, f"{where}.attributes.{attribute}")
    created = modified = None
    if target.timestamps.created:
        created = columns[target.timestamps.created] = _column(
            table, target.timestamps.created, f"{where}.timestamps.created"
        )
    if target.timestamps.modified:
        modified = columns[target.timestamps.modified] = _column(
            table, target.timestamps.modified, f"{where}.timestamps.modified"
        )
    return ObjectTables(
        object_type=name,
        table=table,
        anchor=columns[anchor_name],
        generate=object_type.anchor.generate,
        columns=columns,
        types={a: c.type for a, c in object_type.attributes.items()},
        case_exact={a: c.case_exact for a, c in object_type.attributes.items()},
        children=_children(conn, metadata, target, complex_names, where),
        members=_members(conn, metadata, target, name, where),
        created=created,
        modified=modified,
        unique_keys=_unique_keys(table),
    )


def _children(
    conn: Connection, metadata: MetaData, target: SqlObjectType, complex_names: set[str], where: str
) -> dict[str, ChildSpec]:
    missing = complex_names - target.child_tables.keys()
    extra = target.child_tables.keys() - complex_names
    if missing or extra:
        raise ConfigurationError(
            f"{where}.child_tables: each `type: complex` attribute needs exactly one child table; "
            f"missing for {sorted(missing)}, not a complex attribute: {sorted(extra)}"
        )
    children = {}
    for attribute, child in target.child_tables.items():
        key = f"{where}.child_tables.{attribute}"
        table = _table(conn, metadata, child.table, target.schema_, f"{key}.table")
        children[attribute] = ChildSpec(
            attribute=attribute,
            table=table,
            key=_column(table, child.key, f"{key}.key"),
            columns={sub: _column(table, col, f"{key}.columns.{sub}") for sub, col in child.columns.items()},
        )
    return children


def _members(conn: Connection, metadata: MetaData, target: SqlObjectType, name: str, where: str) -> MembersSpec | None:
    if target.members is None:
        return None
    if name != "Group":
        raise ConfigurationError(f"{where}.members: only the Group object type has members")
    table = _table(conn, metadata, target.members.table, target.schema_, f"{where}.members.table")
    return MembersSpec(
        table=table,
        group_key=_column(table, target.members.group_key, f"{where}.members.group_key"),
        member_key=_column(table, target.members.member_key, f"{where}.members.member_key"),
    )


def _table(conn: Connection, metadata: MetaData, name: str, schema: str | None, key: str) -> Table:
    full = f"{schema}.{name}" if schema else name
    if full in metadata.tables:
        return metadata.tables[full]
    try:
        return Table(name, metadata, autoload_with=conn, schema=schema)
    except sa_exc.NoSuchTableError:
        raise ConfigurationError(f"table {full!r} not found in the database ({key})") from None


def _column(table: Table, name: str, key: str) -> Column[Any]:
    if name in table.c:
        return table.c[name]
    raise ConfigurationError(
        f"column {name!r} not found in table {table.name!r} ({key}); its columns: {', '.join(c.name for c in table.c)}"
    )


def _unique_keys(table: Table) -> dict[str, tuple[str, ...]]:
    primary = tuple(c.name for c in table.primary_key.columns)
    keys = {"PRIMARY": primary}
    if table.primary_key.name:
        keys[str(table.primary_key.name)] = primary
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and constraint.name:
            keys[str(constraint.name)] = tuple(c.name for c in constraint.columns)
    for index in table.indexes:
        if isinstance(index, Index) and index.unique and index.name:
            keys[str(index.name)] = tuple(c.name for c in index.columns) or _expression_columns(table, index)
    return keys


def _expression_columns(table: Table, index: Index) -> tuple[str, ...]:
    text = " ".join(str(e) for e in index.expressions)
    return tuple(c.name for c in table.c if c.name in text)
