"""Which selected columns of an object type a replace (SCIM PUT) must not clear, read from the reflected table.

A column the database fills by itself (identity, computed/generated, auto-increment) or that is NOT NULL with a
server default is left alone when a PUT omits it: writing NULL there would fail (the demo's `IsSoftDeleted`) or
throw away what the database keeps. A NOT NULL column without a default cannot be cleared at all: a PUT that omits
it is incomplete. Everything else (nullable columns, child tables) can be cleared. Worked out once per object type
from the reflection the connector already holds; it runs no statement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column

from ecmahost.connectors.base import ClearRules
from ecmahost.connectors.sql.tables import ObjectTables

CLEAR_RULES = "clear_rules"
"""the key of `ObjectTables.derived` that caches them"""


def clear_rules(tables: ObjectTables) -> ClearRules:
    """The `ClearRules` of `tables`, computed on the first call and kept in `tables.derived`."""
    rules = tables.derived.get(CLEAR_RULES)
    if rules is None:
        rules = tables.derived[CLEAR_RULES] = _work_out(tables)
    return rules


def _work_out(tables: ObjectTables) -> ClearRules:
    keep: set[str] = set()
    required: set[str] = set()
    written_by_the_connector = {id(c) for c in (tables.anchor, tables.created, tables.modified) if c is not None}
    for name, column in tables.columns.items():
        if name not in tables.types or id(column) in written_by_the_connector:
            continue
        if is_generated(column) or (not column.nullable and column.server_default is not None):
            keep.add(name)
        elif not column.nullable:
            required.add(name)
    return ClearRules(keep=frozenset(keep), required=frozenset(required))


def is_generated(column: Column[Any]) -> bool:
    """The database computes the column's value: an identity, generated (computed) or auto-increment column."""
    return column.identity is not None or column.computed is not None or column.autoincrement is True
