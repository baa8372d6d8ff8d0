"""List what a SQL database holds for the configuration wizard: tables and views, their columns with types
mapped to `AttributeType`, required (NOT NULL without a default), primary key, unique, generated, the length of
a string column and the `table.column` a single-column foreign key points at.

Runs in a sync context through `conn.run_sync(discover_schema)`; it reads the catalog and nothing else.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, inspect, text
from sqlalchemy import types as sqltypes

from ecmahost.config.model import AttributeType
from ecmahost.connectors.base import DiscoveredAttribute, DiscoveredObjectClass, DiscoveredSchema
from ecmahost.connectors.sql.tables import quiet_reflection


def discover_schema(conn: Connection) -> DiscoveredSchema:
    inspector = inspect(conn)
    with quiet_reflection():
        classes = [_object_class(conn, inspector, name, "table") for name in inspector.get_table_names()]
        classes += [_object_class(conn, inspector, name, "view") for name in inspector.get_view_names()]
    version = ".".join(str(part) for part in conn.dialect.server_version_info or ())
    detail = {"dialect": conn.dialect.name, "driver": conn.dialect.driver, "server_version": version}
    return DiscoveredSchema(object_classes=classes, detail=detail)


def _object_class(conn: Connection, inspector: Any, name: str, kind: str) -> DiscoveredObjectClass:
    columns = inspector.get_columns(name)
    primary = [] if kind == "view" else inspector.get_pk_constraint(name).get("constrained_columns") or []
    unique = set() if kind == "view" else _unique_columns(inspector, name) | _sqlite_unique(conn, name)
    references = {} if kind == "view" else _references(inspector, name)
    attributes = []
    for column in columns:
        generated = _generated(conn, column, primary)
        attributes.append(
            DiscoveredAttribute(
                name=column["name"],
                type=attribute_type(column["type"]),
                required=not column.get("nullable", True) and not generated,
                unique=column["name"] in unique or primary == [column["name"]],
                primary_key=column["name"] in primary,
                generated=generated,
                detail=_type_text(conn, column["type"]),
                references=references.get(column["name"]),
                max_length=_length(column["type"]),
                read_only=bool(column.get("computed")) or bool((column.get("identity") or {}).get("always")),
            )
        )
    return DiscoveredObjectClass(name=name, kind=kind, attributes=attributes)


def _unique_columns(inspector: Any, name: str) -> set[str]:
    """Columns that are unique alone (a multi-column key makes none of its columns unique)."""
    found = set()
    for constraint in inspector.get_unique_constraints(name):
        if len(constraint["column_names"]) == 1:
            found.add(constraint["column_names"][0])
    for index in inspector.get_indexes(name):
        names = [n for n in index.get("column_names") or [] if n is not None]
        if index.get("unique") and len(index.get("column_names") or []) == 1 and names:
            found.add(names[0])
    return found


def _sqlite_unique(conn: Connection, name: str) -> set[str]:
    """SQLite's inline `UNIQUE` columns, which SQLAlchemy's inspector does not report (their automatic indexes
    are hidden from `get_indexes`): the one-column unique indexes SQLite made for a constraint (`origin = 'u'`)."""
    if conn.dialect.name != "sqlite":
        return set()
    indexes = conn.execute(
        text("SELECT name FROM pragma_index_list(:table) WHERE \"unique\" = 1 AND origin = 'u'"), {"table": name}
    ).scalars()
    found = set()
    for index in list(indexes):
        columns = conn.execute(text("SELECT name FROM pragma_index_info(:index)"), {"index": index}).scalars().all()
        if len(columns) == 1 and columns[0]:
            found.add(columns[0])
    return found


def _references(inspector: Any, name: str) -> dict[str, str]:
    """Column -> `table.column` for each single-column foreign key (a composite key names no one column)."""
    found = {}
    for key in inspector.get_foreign_keys(name):
        local, remote = key.get("constrained_columns") or [], key.get("referred_columns") or []
        if len(local) == 1 and len(remote) == 1 and key.get("referred_table"):
            found[local[0]] = f"{key['referred_table']}.{remote[0]}"
    return found


def _length(column_type: Any) -> int | None:
    length = getattr(column_type, "length", None) if isinstance(column_type, sqltypes.String) else None
    return length if isinstance(length, int) and length > 0 else None


def _generated(conn: Connection, column: dict[str, Any], primary: list[str]) -> bool:
    if column.get("autoincrement") is True or column.get("identity") or column.get("computed"):
        return True
    if column.get("default") is not None:
        return True
    # SQLite fills a key declared exactly `INTEGER PRIMARY KEY` (an alias of the rowid), not a BIGINT one
    rowid_alias = conn.dialect.name == "sqlite" and primary == [column["name"]]
    return rowid_alias and type(column["type"]) is sqltypes.INTEGER


def attribute_type(column_type: Any) -> AttributeType:
    if isinstance(column_type, sqltypes.Boolean):
        return AttributeType.BOOLEAN
    if type(column_type).__name__ == "TINYINT" and getattr(column_type, "display_width", None) == 1:
        return AttributeType.BOOLEAN
    if isinstance(column_type, sqltypes.Integer):
        return AttributeType.INTEGER
    if isinstance(column_type, sqltypes.Numeric):
        return AttributeType.DECIMAL
    if isinstance(column_type, sqltypes.DateTime | sqltypes.Date):
        return AttributeType.DATETIME
    if isinstance(column_type, sqltypes._Binary):
        return AttributeType.BINARY
    return AttributeType.STRING


def _type_text(conn: Connection, column_type: Any) -> str:
    try:
        return str(column_type.compile(dialect=conn.dialect))
    except Exception:  # some reflected types cannot render back; their repr still helps an admin
        return repr(column_type)
