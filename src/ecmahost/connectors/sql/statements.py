"""The hot statements of an object type, built once per query shape and then executed with parameters.

Building a SQLAlchemy statement and generating its cache key cost more CPU than the database spends answering an
indexed lookup. The shapes every provisioning cycle repeats (read by anchor, find by one attribute `eq`, the
child rows of one object, insert returning the row, update by anchor) are built here once, with `bindparam`s,
and kept in `ObjectTables.statements`; SQLAlchemy memoizes a statement's cache key, so executing the same object
again skips construction and key generation and finds its compiled form in the engine's cache. Values are always
bound parameters, never SQL text. An UPDATE or INSERT takes its SET/VALUES columns from the execute parameters
(SQLAlchemy compiles one form per set of keys). This module builds statements; it runs none.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Column, Delete, Insert, Select, Update, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import mysql, postgresql, sqlite

from ecmahost.connectors.query import META_CREATED, META_MODIFIED
from ecmahost.connectors.sql.compile import compile_sort, eq_template
from ecmahost.connectors.sql.tables import ChildSpec, MembersSpec, ObjectTables

S = TypeVar("S")
MAX_SHAPES = 256
"""At most this many cached statements per object type (the shapes are few; the bound keeps a scan of odd
queries from growing memory)."""
ANCHOR = "ecmahost_anchor"
SET = "ecmahost_set_"
"""prefix of the parameters holding the new values of `update_returning`"""
VALUE = "ecmahost_value"
KEY = "ecmahost_key"
GROUP = "ecmahost_group"
MEMBERS_ARRAY = "ecmahost_members"


_PREPARED: weakref.WeakSet[Any] = weakref.WeakSet()


def cached(tables: ObjectTables, key: Hashable, build: Callable[[], S]) -> S:
    statement: S | None = tables.statements.get(key)
    if statement is None:
        statement = build()
        if len(tables.statements) < MAX_SHAPES:
            tables.statements[key] = statement
            _PREPARED.add(statement)
    return statement


def is_prepared(statement: Any) -> bool:
    """Whether `statement` is one of the kept shapes (worth keeping its compiled form), not a one-off."""
    return statement in _PREPARED


def stamps(tables: ObjectTables) -> list[tuple[str, Column[Any]]]:
    """(record key, column) of the timestamp columns the object type has."""
    pairs = ((META_CREATED, tables.created), (META_MODIFIED, tables.modified))
    return [(key, column) for key, column in pairs if column is not None]


def selected_columns(tables: ObjectTables, names: Sequence[str]) -> list[Column[Any]]:
    """The columns of `names` (the anchor first), then the timestamp columns."""
    return [tables.columns[name] for name in names] + [column for _, column in stamps(tables)]


def by_anchor(tables: ObjectTables, names: tuple[str, ...], child: ChildSpec | None = None) -> Select[Any]:
    """`names` of the object whose anchor is the parameter `ANCHOR`; with `child`, LEFT JOINed with its child rows
    (`joined_columns`), one row per child row, so one round trip brings both."""

    def build() -> Select[Any]:
        where = tables.anchor == bindparam(ANCHOR, type_=tables.anchor.type)
        columns = selected_columns(tables, names)
        if child is None:
            return select(*columns).where(where)
        joined = tables.table.outerjoin(child.table, child.key == tables.anchor)
        return select(*columns, *joined_columns(child)).select_from(joined).where(where).order_by(*_order(child))

    return cached(tables, ("by_anchor", names, None if child is None else child.attribute), build)


def by_eq(
    tables: ObjectTables,
    names: tuple[str, ...],
    attribute: str,
    case_exact: bool,
    dialect: str,
    limit: int,
    child: ChildSpec | None = None,
) -> Select[Any]:
    """The first `limit` objects whose `attribute` equals the parameter `VALUE`, in anchor order: the statement
    `compile_filter` and `compile_sort` build for `Compare(attribute, EQ, value)` with no sort and no offset.
    With `child`, that page LEFT JOINed with its child rows, ordered by anchor then child row."""

    def build() -> Select[Any]:
        column = tables.columns[attribute]
        where = eq_template(column, bindparam(VALUE, type_=column.type), case_exact, dialect)
        order = compile_sort(None, tables, dialect)
        page = select(*selected_columns(tables, names)).where(where).order_by(*order).limit(limit)
        if child is None:
            return page
        rows = page.subquery("page")
        anchor = next(iter(rows.c))
        joined = rows.outerjoin(child.table, child.key == anchor)
        return select(*rows.c, *joined_columns(child)).select_from(joined).order_by(anchor, *_order(child))

    key = ("by_eq", names, attribute, case_exact, dialect, limit, None if child is None else child.attribute)
    return cached(tables, key, build)


def joined_columns(child: ChildSpec) -> list[Column[Any]]:
    """The child columns a joined statement adds after the page's: the key (NULL when no child row), then the
    sub-attribute columns in `child.columns` order."""
    return [child.key, *child.columns.values()]


def _order(child: ChildSpec) -> list[Column[Any]]:
    return list(child.table.primary_key.columns) or [child.key]


def children_of_one(tables: ObjectTables, spec: ChildSpec) -> Select[Any]:
    """The child rows of `spec` whose key is the parameter `KEY`, in primary key order."""

    def build() -> Select[Any]:
        where = spec.key == bindparam(KEY, type_=spec.key.type)
        return select(*joined_columns(spec)).where(where).order_by(*_order(spec))

    return cached(tables, ("children_of_one", spec.attribute), build)


def insert_returning(tables: ObjectTables, names: tuple[str, ...]) -> Insert:
    """INSERT of the execute parameters' columns, returning `selected_columns(names)`."""
    return cached(
        tables, ("insert_returning", names), lambda: insert(tables.table).returning(*selected_columns(tables, names))
    )


def update_by_anchor(tables: ObjectTables) -> Update:
    """UPDATE of the execute parameters' columns of the object whose anchor is the parameter `ANCHOR`."""
    return cached(
        tables,
        "update_by_anchor",
        lambda: update(tables.table).where(tables.anchor == bindparam(ANCHOR, type_=tables.anchor.type)),
    )


def delete_by_anchor(tables: ObjectTables) -> Delete:
    """DELETE of the object whose anchor is the parameter `ANCHOR`."""
    return cached(
        tables,
        "delete_by_anchor",
        lambda: delete(tables.table).where(tables.anchor == bindparam(ANCHOR, type_=tables.anchor.type)),
    )


def delete_children(tables: ObjectTables, spec: ChildSpec) -> Delete:
    """DELETE of the child rows of `spec` whose key is the parameter `KEY`."""
    return cached(
        tables,
        ("delete_children", spec.attribute),
        lambda: delete(spec.table).where(spec.key == bindparam(KEY, type_=spec.key.type)),
    )


def delete_memberships(tables: ObjectTables, spec: MembersSpec, side: str) -> Delete:
    """DELETE of the rows of membership table `spec` whose group key (`side="group"`) or member key
    (`side="member"`) is the parameter `KEY`."""

    def build() -> Delete:
        column = spec.group_key if side == "group" else spec.member_key
        return delete(spec.table).where(column == bindparam(KEY, type_=column.type))

    return cached(tables, ("delete_memberships", spec.table.fullname, side), build)


def members_of_one(tables: ObjectTables, spec: MembersSpec) -> Select[Any]:
    """The member keys of the group whose key is the parameter `KEY`, in member order."""

    def build() -> Select[Any]:
        where = spec.group_key == bindparam(KEY, type_=spec.group_key.type)
        return select(spec.group_key, spec.member_key).where(where).order_by(spec.member_key)

    return cached(tables, "members_of_one", build)


def insert_members_ignoring_duplicates(tables: ObjectTables, spec: MembersSpec, dialect: str) -> Insert:
    """INSERT of membership rows that leaves a present row as it is: on PostgreSQL one INSERT ... SELECT of the
    parameter `GROUP` with `unnest` of the array `MEMBERS_ARRAY` (about 20% less database time than one INSERT per
    row, and one prepared shape for any count), ON CONFLICT DO NOTHING; elsewhere executed with a list of
    parameter sets, ON CONFLICT DO NOTHING on SQLite, ON DUPLICATE KEY UPDATE on MariaDB/MySQL, which unlike
    INSERT IGNORE still reports foreign key errors."""

    def build() -> Insert:
        if dialect == "postgresql":  # one statement for any number of rows: the member keys as one array
            group = bindparam(GROUP, type_=spec.group_key.type)
            members = func.unnest(bindparam(MEMBERS_ARRAY, type_=postgresql.ARRAY(spec.member_key.type)))
            rows = select(group, members)
            columns = [spec.group_key, spec.member_key]
            return postgresql.insert(spec.table).from_select(columns, rows).on_conflict_do_nothing()
        if dialect == "sqlite":
            return sqlite.insert(spec.table).on_conflict_do_nothing()
        statement = mysql.insert(spec.table)
        name = spec.group_key.name
        return statement.on_duplicate_key_update({name: statement.inserted[name]})

    return cached(tables, ("insert_members", dialect), build)


def update_returning(
    tables: ObjectTables, set_names: tuple[str, ...], names: tuple[str, ...], child: ChildSpec | None
) -> Select[Any]:
    """PostgreSQL: the UPDATE of columns `set_names` (parameters `SET + name`) of the object whose anchor is the
    parameter `ANCHOR`, returning `selected_columns(names)`, as a CTE read back with `child`'s rows LEFT JOINed:
    the record as stored after the update, in one statement (no second round trip for the answer)."""

    def build() -> Select[Any]:
        columns = tables.table.c
        values = {columns[name]: bindparam(SET + name, type_=columns[name].type) for name in set_names}
        where = tables.anchor == bindparam(ANCHOR, type_=tables.anchor.type)
        returning = selected_columns(tables, names)
        updated = update(tables.table).where(where).values(values).returning(*returning).cte("updated")
        if child is None:
            return select(*updated.c)
        anchor = next(iter(updated.c))
        joined = updated.outerjoin(child.table, child.key == anchor)
        return select(*updated.c, *joined_columns(child)).select_from(joined).order_by(anchor, *_order(child))

    key = ("update_returning", set_names, names, None if child is None else child.attribute)
    return cached(tables, key, build)


def delete_everywhere(
    tables: ObjectTables, member_tables: tuple[MembersSpec, ...], as_member: tuple[bool, ...]
) -> Delete:
    """PostgreSQL: one DELETE of the object whose anchor is `ANCHOR`, with data-modifying CTEs removing its child
    rows (parameters `child_<i>`), its own membership rows as a group (`group`) and its rows as a member of each
    of `member_tables` where `as_member[j]` (`member_<j>`): atomic as one statement, no transaction round trips.
    Foreign keys are checked at the end of the statement, when every part has run."""

    def build() -> Delete:
        parts = []
        for index, spec in enumerate(tables.children.values()):
            key = bindparam(f"child_{index}", type_=spec.key.type)
            parts.append(delete(spec.table).where(spec.key == key).cte(f"child_{index}"))
        if tables.members is not None:
            group_key = tables.members.group_key
            group = bindparam("group", type_=group_key.type)
            parts.append(delete(tables.members.table).where(group_key == group).cte("as_group"))
        for index, (spec, wanted) in enumerate(zip(member_tables, as_member, strict=True)):
            if wanted:
                member = bindparam(f"member_{index}", type_=spec.member_key.type)
                parts.append(delete(spec.table).where(spec.member_key == member).cte(f"as_member_{index}"))
        where = tables.anchor == bindparam(ANCHOR, type_=tables.anchor.type)
        return delete(tables.table).where(where).add_cte(*parts)

    key = ("delete_everywhere", tuple(spec.table.fullname for spec in member_tables), as_member)
    return cached(tables, key, build)
