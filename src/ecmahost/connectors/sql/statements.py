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
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    ColumnElement,
    Delete,
    Insert,
    Select,
    Update,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite

from ecmahost.connectors.query import MEMBERS, META_CREATED, META_MODIFIED, Compare, Filter, Op, SearchQuery
from ecmahost.connectors.sql.compile import compile_filter, compile_sort, eq_template
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


@dataclass(frozen=True, slots=True, eq=False, weakref_slot=True)
class Shape:
    """A statement that reads objects, with the layout of its rows, so the caller needs nothing else to run it and
    read its rows: the single-valued columns `names` (the anchor first), then the timestamp columns `stamps`,
    then with `joined` a LEFT JOINed child table's key and columns (one row per child row). `children` are the
    child tables read apart, each with its statement for one object's rows (parameter `KEY`); `members`, when
    the members are asked for, the membership table and its statement for one group."""

    statement: Any
    names: tuple[str, ...]
    stamps: tuple[tuple[str, Column[Any]], ...]
    joined: ChildSpec | None
    children: tuple[tuple[ChildSpec, Select[Any]], ...]
    members: tuple[MembersSpec, Select[Any]] | None


def single_valued(tables: ObjectTables, attributes: frozenset[str] | None) -> tuple[str, ...]:
    """The columns to select, the anchor first (worked out once per set of attributes asked for)."""
    key = ("single_valued", attributes)
    names: tuple[str, ...] | None = tables.derived.get(key)
    if names is None:
        anchor = tables.anchor.name
        wanted = tables.columns.keys() if attributes is None else attributes & tables.columns.keys()
        names = (anchor, *sorted(name for name in wanted if name != anchor))
        if len(tables.derived) < MAX_SHAPES:
            tables.derived[key] = names
    return names


def joinable_child(tables: ObjectTables, attributes: frozenset[str] | None) -> ChildSpec | None:
    """The child table to read in the same statement as the rows (a LEFT JOIN): only when it is the one child
    table asked for and members are not (two joined child tables would multiply each other's rows)."""
    wanted = _children(tables, attributes)
    if len(wanted) != 1 or _wants_members(tables, attributes):
        return None
    return wanted[0]


def _children(tables: ObjectTables, attributes: frozenset[str] | None) -> list[ChildSpec]:
    if attributes is None:
        return list(tables.children.values())
    return [spec for name, spec in tables.children.items() if name in attributes]


def _wants_members(tables: ObjectTables, attributes: frozenset[str] | None) -> bool:
    return tables.members is not None and attributes is not None and MEMBERS in attributes


def layout(tables: ObjectTables, attributes: frozenset[str] | None, join: bool) -> Shape:
    """The layout of rows read for `attributes` (no statement): with `join`, the one child table asked for is
    LEFT JOINed (`joinable_child`), the others are read apart."""
    key = ("layout", attributes, join)
    shape: Shape | None = tables.derived.get(key)
    if shape is None:
        joined = joinable_child(tables, attributes) if join else None
        apart = tuple(
            (spec, children_of_one(tables, spec)) for spec in _children(tables, attributes) if spec is not joined
        )
        members = tables.members if _wants_members(tables, attributes) else None
        shape = Shape(
            statement=None,
            names=single_valued(tables, attributes),
            stamps=tuple(stamps(tables)),
            joined=joined,
            children=apart,
            members=None if members is None else (members, members_of_one(tables, members)),
        )
        if len(tables.derived) < MAX_SHAPES:
            tables.derived[key] = shape
    return shape


def _shape(
    tables: ObjectTables, key: Hashable, attributes: frozenset[str] | None, build: Callable[[Shape], Any]
) -> Shape:
    """The kept `Shape` under `key`: `build(layout)` makes its statement from the layout of `attributes`."""

    def make() -> Shape:
        rows = layout(tables, attributes, join=True)
        shape = Shape(build(rows), rows.names, rows.stamps, rows.joined, rows.children, rows.members)
        _PREPARED.add(shape.statement)
        return shape

    return cached(tables, key, make)


def read_by_anchor(tables: ObjectTables, attributes: frozenset[str] | None) -> Shape:
    """`attributes` of the object whose anchor is the parameter `ANCHOR` (`by_anchor`)."""
    return _shape(
        tables, ("read_by_anchor", attributes), attributes, lambda rows: by_anchor(tables, rows.names, rows.joined)
    )


def match(tables: ObjectTables, query: SearchQuery, dialect: str) -> Shape | None:
    """The kept statement for `query` when it is `attribute eq value` on a column, with no sort and no offset
    (Entra's matching query; the value is the parameter `VALUE`); None for any other query (`page`)."""
    compare = query.filter
    if not isinstance(compare, Compare) or compare.op is not Op.EQ or compare.value is None:
        return None
    if query.sort is not None or query.offset > 0 or query.limit is None or compare.attribute not in tables.columns:
        return None
    limit, attributes = query.limit, query.attributes
    key = ("match", attributes, compare.attribute, compare.case_exact, dialect, limit)

    def build(rows: Shape) -> Select[Any]:
        return by_eq(tables, rows.names, compare.attribute, compare.case_exact, dialect, limit, rows.joined)

    return _shape(tables, key, attributes, build)


def updated(tables: ObjectTables, set_names: tuple[str, ...]) -> Shape:
    """PostgreSQL: the UPDATE of `set_names` returning the whole record as stored (`update_returning`)."""
    return _shape(
        tables,
        ("updated", set_names),
        None,
        lambda rows: update_returning(tables, set_names, rows.names, rows.joined),
    )


def where(tables: ObjectTables, filter_: Filter | None, dialect: str) -> ColumnElement[bool] | None:
    """The WHERE clause of `filter_` (`compile.compile_filter`), None for no filter."""
    return None if filter_ is None else compile_filter(filter_, tables, dialect)


def page(tables: ObjectTables, query: SearchQuery, condition: ColumnElement[bool] | None, dialect: str) -> Shape:
    """A page of any query (built for its one execution): `condition`, the query's sort, offset and limit."""
    rows = layout(tables, query.attributes, join=False)
    statement = select(*selected_columns(tables, rows.names)).order_by(*compile_sort(query.sort, tables, dialect))
    if condition is not None:
        statement = statement.where(condition)
    if query.offset > 0:
        statement = statement.offset(query.offset)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return Shape(statement, rows.names, rows.stamps, None, rows.children, rows.members)


def count(tables: ObjectTables, condition: ColumnElement[bool] | None) -> Select[Any]:
    statement = select(func.count()).select_from(tables.table)
    return statement if condition is None else statement.where(condition)


def children_of_many(spec: ChildSpec, keys: Sequence[Any]) -> Select[Any]:
    """The child rows of `spec` of the objects whose keys are `keys`, by key then primary key."""
    return select(*joined_columns(spec)).where(spec.key.in_(keys)).order_by(*_order(spec))


def members_of_many(spec: MembersSpec, keys: Sequence[Any]) -> Select[Any]:
    """The (group key, member key) rows of the groups whose keys are `keys`."""
    where = spec.group_key.in_(keys)
    return select(spec.group_key, spec.member_key).where(where).order_by(spec.group_key, spec.member_key)


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
