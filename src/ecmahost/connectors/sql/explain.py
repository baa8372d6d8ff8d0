"""Explain a write the database refused, where its error does not say enough: which member ids name no row (a
foreign key error names no value), which value is too long (PostgreSQL names the type, not the column).

Runs only after a write failed, so the writes themselves pay nothing for it: one query per chunk of member ids,
after the failed transaction was rolled back. It raises nothing of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Column, select
from sqlalchemy import exc as sa_exc

from ecmahost.connectors.errors import ConstraintViolation
from ecmahost.connectors.query import MEMBERS, Record
from ecmahost.connectors.sql.errors import ReferenceViolation
from ecmahost.connectors.sql.executor import Session
from ecmahost.connectors.sql.reads import chunks
from ecmahost.connectors.sql.tables import MembersSpec, ObjectTables
from ecmahost.connectors.sql.values import anchor_to_db


def about_members(exc: ConstraintViolation, spec: MembersSpec) -> bool:
    """Whether a refusal may be about member ids: a foreign key error, or an id that does not fit the member key."""
    return isinstance(exc, ReferenceViolation) or (exc.attribute or "").lower() == spec.member_key.name.lower()


def referenced_column(spec: MembersSpec) -> Column[Any] | None:
    """The column the member key's foreign key refers to (the member table's anchor), if the database has one."""
    for key in spec.member_key.foreign_keys:
        try:
            return key.column
        except sa_exc.NoReferenceError:  # a table that was not reflected: the caller says it generally
            return None
    return None


def member_type(all_tables: Iterable[ObjectTables], column: Column[Any]) -> str:
    """The object type stored in `column`'s table (`User`), for the error message."""
    return next((tables.object_type for tables in all_tables if tables.table is column.table), "object")


async def missing_members(conn: Session, column: Column[Any], members: Sequence[str]) -> list[str]:
    """The member ids (as sent) that no row of `column`'s table holds."""
    wanted: dict[Any, str] = {}
    missing: list[str] = []
    for member in dict.fromkeys(members):
        value = anchor_to_db(column, member)
        if value is None:
            missing.append(member)
        else:
            wanted[value] = member
    present: set[Any] = set()
    for chunk in chunks(list(wanted)):
        present.update(row[0] for row in await conn.fetch(select(column).where(column.in_(chunk))))
    return missing + [member for value, member in wanted.items() if value not in present]


def attribute_of(tables: ObjectTables, column: str) -> str:
    """The configured attribute a column the database named belongs to: `Title`, or `PhoneNumbers.value` for a
    column of a child table; `column` itself when it is neither (a column the connector does not select)."""
    lowered = column.lower()
    for attribute, found in tables.columns.items():
        if found.name.lower() == lowered:
            return attribute
    for attribute, spec in tables.children.items():
        for sub, found in spec.columns.items():
            if found.name.lower() == lowered:
                return f"{attribute}.{sub}"
    return column


def too_long(tables: ObjectTables, record: Record) -> str | None:
    """The first attribute of `record` whose string value is longer than its column's declared length."""
    for attribute, value in record.items():
        if attribute == MEMBERS:
            continue
        if isinstance(value, list):
            spec = tables.children.get(attribute)
            columns = spec.columns if spec is not None else {}
            for element in value:
                for sub, item in element.items() if isinstance(element, dict) else ():
                    if _over(columns.get(sub), item):
                        return f"{attribute}.{sub}"
        elif _over(tables.columns.get(attribute), value):
            return attribute
    return None


def _over(column: Column[Any] | None, value: Any) -> bool:
    length = getattr(column.type, "length", None) if column is not None else None
    return isinstance(value, str) and isinstance(length, int) and len(value) > length
