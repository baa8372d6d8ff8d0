"""Which selected columns of an object type a replace (SCIM PUT) must not clear, read from the reflected table.

A column the database fills by itself (identity, computed/generated, auto-increment) or that is NOT NULL with a
server default is left alone when a PUT omits it: writing NULL there would fail (the demo's `IsSoftDeleted`) or
throw away what the database keeps. A NOT NULL column without a default cannot be cleared at all: a PUT that omits
it is incomplete. Everything else (nullable columns, child tables) can be cleared. Worked out once per object type
from the reflection the connector already holds; it runs no statement.

`unassigned_values`: what an explicit removal (PATCH `remove`, a `null`) of such a defaulted column writes
instead of NULL: its default when it is a constant (RFC 7644 §3.5.2.2 makes the attribute unassigned; for a
column that cannot hold "no value", its declared default is the closest thing, and what an INSERT without it
stores), a refusal naming the attribute when it is an expression.
"""

from __future__ import annotations

import re
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


UNASSIGNED = "unassigned"
"""the key of `ObjectTables.derived` that caches `unassigned_values`"""
NO_CONSTANT = object()
"""a NOT NULL column whose default is an expression (CURRENT_TIMESTAMP, a sequence, gen_random_uuid()): the
host cannot write it on an UPDATE portably (SQLite has no `SET c = DEFAULT`)"""
_LITERAL = re.compile(
    r"""^\(*\s*(?:'(?P<text>(?:[^']|'')*)'|(?P<number>[-+]?\d+(?:\.\d+)?)|(?P<word>true|false))\s*\)*"""
    r"""(?:::[\w\s]+(?:\(\d+\))?)?$""",
    re.IGNORECASE,
)
"""a constant default as PostgreSQL, MariaDB and SQLite report it: `1`, `'x'`, `'x'::character varying`, `true`,
`(0)`"""


def unassigned_values(tables: ObjectTables) -> dict[str, Any]:
    """Attribute -> what a write that leaves it unassigned (PATCH remove, an explicit null) stores, for the NOT
    NULL columns with a server default: the default's text when it is a constant (converted by the column like any
    written value), else `NO_CONSTANT`. Worked out once per object type, kept in `tables.derived`."""
    found = tables.derived.get(UNASSIGNED)
    if found is None:
        found = tables.derived[UNASSIGNED] = {
            name: _constant(column)
            for name, column in tables.columns.items()
            if not column.nullable and column.server_default is not None and not is_generated(column)
        }
    return found


def _constant(column: Column[Any]) -> Any:
    default = column.server_default
    text = getattr(default, "arg", None)
    text = getattr(text, "text", text)
    if not isinstance(text, str):
        return NO_CONSTANT
    matched = _LITERAL.match(text.strip())
    if matched is None:
        return NO_CONSTANT
    if matched["text"] is not None:
        return matched["text"].replace("''", "'")
    return matched["number"] if matched["number"] is not None else matched["word"].lower()


def is_generated(column: Column[Any]) -> bool:
    """The database computes the column's value: an identity, generated (computed) or auto-increment column."""
    return column.identity is not None or column.computed is not None or column.autoincrement is True
