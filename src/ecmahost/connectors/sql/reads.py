"""Read objects: one statement for the page (filter, sort, LIMIT/OFFSET), an exact total with a COUNT only when
the page cannot tell it, and one `key IN (...)` query per child table (and for members, when asked), never N+1.
A read by anchor and an `attribute eq value` match use the prepared statements of `statements`, with the one
child table asked for LEFT JOINed in, so they cost one round trip.

It runs statements on a session it is given (`executor.Session`); it opens no transaction and translates no errors.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from ecmahost.connectors.query import MEMBERS, Compare, Op, Record, SearchQuery, SearchResult
from ecmahost.connectors.sql import statements
from ecmahost.connectors.sql.compile import compile_filter, compile_sort
from ecmahost.connectors.sql.executor import Session
from ecmahost.connectors.sql.tables import ChildSpec, MembersSpec, ObjectTables
from ecmahost.connectors.sql.values import anchor_from_db, from_db, to_db, value_reader

IN_LIST_CHUNK = 500
"""At most this many values in one `IN (...)` list: well under every driver's bound parameter limit."""


def chunks(values: Sequence[Any], size: int = IN_LIST_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def search(conn: Session, tables: ObjectTables, query: SearchQuery) -> SearchResult:
    dialect = conn.dialect.name
    offset = max(query.offset, 0)
    if query.limit == 0:
        where = compile_filter(query.filter, tables, dialect) if query.filter is not None else None
        return SearchResult(total=await count(conn, tables, where), records=[])
    prepared = _prepared_eq(tables, query, dialect)
    if prepared is not None:  # Entra's matching query: one attribute `eq` a value, first page
        statement, parameters, child = prepared
        records = await run_page(conn, tables, query.attributes, statement, parameters, child)
        assert query.limit is not None
        if len(records) < query.limit:
            return SearchResult(total=len(records), records=records)
    where = compile_filter(query.filter, tables, dialect) if query.filter is not None else None
    if prepared is None:
        order = compile_sort(query.sort, tables, dialect)
        records = await read_records(conn, tables, where, query.attributes, order, offset, query.limit)
    found = len(records)
    if (query.limit is None or found < query.limit) and (found > 0 or offset == 0):
        return SearchResult(total=offset + found, records=records)
    return SearchResult(total=await count(conn, tables, where), records=records)


def _prepared_eq(
    tables: ObjectTables, query: SearchQuery, dialect: str
) -> tuple[Select[Any], dict[str, Any], ChildSpec | None] | None:
    """The cached statement, its parameters and its joined child table when `query` is `attribute eq value` on
    a column, with no sort and no offset; None for any other query (built afresh by `compile_filter`)."""
    compare = query.filter
    if not isinstance(compare, Compare) or compare.op is not Op.EQ or compare.value is None:
        return None
    if query.sort is not None or query.offset > 0 or query.limit is None or compare.attribute not in tables.columns:
        return None
    column = tables.columns[compare.attribute]
    names = single_valued(tables, query.attributes)
    child = joinable_child(tables, query.attributes)
    statement = statements.by_eq(tables, names, compare.attribute, compare.case_exact, dialect, query.limit, child)
    return statement, {statements.VALUE: to_db(column, compare.value)}, child


def joinable_child(tables: ObjectTables, attributes: frozenset[str] | None) -> ChildSpec | None:
    """The child table to read in the same statement as the rows (a LEFT JOIN): only when it is the one child
    table asked for and members are not (two joined child tables would multiply each other's rows)."""
    wanted = _children(tables, attributes)
    if len(wanted) != 1 or (tables.members is not None and attributes is not None and MEMBERS in attributes):
        return None
    return tables.children[wanted[0]]


async def count(conn: Session, tables: ObjectTables, where: ColumnElement[bool] | None) -> int:
    statement = select(func.count()).select_from(tables.table)
    if where is not None:
        statement = statement.where(where)
    row = await conn.fetch_one(statement)
    assert row is not None  # COUNT(*) always answers one row
    return int(row[0])


async def get_record(
    conn: Session, tables: ObjectTables, anchor: Any, attributes: frozenset[str] | None
) -> Record | None:
    """The object whose anchor column holds `anchor` (already converted for that column), or None."""
    child = joinable_child(tables, attributes)
    statement = statements.by_anchor(tables, single_valued(tables, attributes), child)
    records = await run_page(conn, tables, attributes, statement, {statements.ANCHOR: anchor}, child)
    return records[0] if records else None


async def read_records(
    conn: Session,
    tables: ObjectTables,
    where: ColumnElement[bool] | None,
    attributes: frozenset[str] | None,
    order: list[Any],
    offset: int,
    limit: int | None,
) -> list[Record]:
    names = single_valued(tables, attributes)
    statement = select(*statements.selected_columns(tables, names)).order_by(*order)
    if where is not None:
        statement = statement.where(where)
    if offset:
        statement = statement.offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    return await run_page(conn, tables, attributes, statement, {})


async def run_page(
    conn: Session,
    tables: ObjectTables,
    attributes: frozenset[str] | None,
    statement: Select[Any],
    parameters: dict[str, Any],
    joined: ChildSpec | None = None,
) -> list[Record]:
    """Execute a page `statement` (the columns of `single_valued(attributes)`, then the timestamps, then with
    `joined` the child columns of a LEFT JOIN) and add the asked-for child rows and members."""
    rows = await conn.fetch(statement, parameters)
    if joined is None:
        return await complete_records(conn, tables, attributes, rows)
    width = len(single_valued(tables, attributes)) + len(statements.stamps(tables))
    parents: list[Sequence[Any]] = []
    elements: list[list[dict[str, Any]]] = []
    for row in rows:  # ordered by parent: one row per child row, or one with a NULL key for none
        if not parents or row[0] != parents[-1][0]:
            parents.append(row[:width])
            elements.append([])
        if row[width] is not None:
            elements[-1].append(_element(joined, row[width + 1 :]))
    records = await complete_records(conn, tables, attributes, parents, no_children=True)
    for record, found in zip(records, elements, strict=True):
        record[joined.attribute] = found
    return records


async def complete_records(
    conn: Session,
    tables: ObjectTables,
    attributes: frozenset[str] | None,
    rows: Sequence[Any],
    *,
    no_children: bool = False,
) -> list[Record]:
    """Records from page rows (as `_run` selects them), with their child rows and members read; `no_children`
    when the caller knows there are none (the row was just inserted under a new generated anchor)."""
    names = single_valued(tables, attributes)
    stamps = statements.stamps(tables)
    records = [_record(tables, names, row[: len(names)]) for row in rows]
    for record, row in zip(records, rows, strict=True):
        for (key, column), value in zip(stamps, row[len(names) :], strict=True):
            record[key] = from_db(column, value)
    if not records:
        return records
    keys = [row[0] for row in rows]
    for attribute in _children(tables, attributes):
        elements = {} if no_children else await _child_elements(conn, tables, tables.children[attribute], keys)
        for record in records:
            record[attribute] = elements.get(record[names[0]], [])
    if tables.members is not None and attributes is not None and MEMBERS in attributes:
        members = await member_anchors(conn, tables, tables.members, keys)
        for record in records:
            record[MEMBERS] = members.get(record[names[0]], [])
    return records


def single_valued(tables: ObjectTables, attributes: frozenset[str] | None) -> tuple[str, ...]:
    """The columns to select, the anchor first (worked out once per set of attributes asked for)."""
    key = ("single_valued", attributes)
    names: tuple[str, ...] | None = tables.derived.get(key)
    if names is None:
        anchor = tables.anchor.name
        wanted = tables.columns.keys() if attributes is None else attributes & tables.columns.keys()
        names = (anchor, *sorted(name for name in wanted if name != anchor))
        if len(tables.derived) < statements.MAX_SHAPES:
            tables.derived[key] = names
    return names


def _children(tables: ObjectTables, attributes: frozenset[str] | None) -> list[str]:
    if attributes is None:
        return list(tables.children)
    return [name for name in tables.children if name in attributes]


def _record(tables: ObjectTables, names: tuple[str, ...], row: Sequence[Any]) -> Record:
    readers = _readers(tables, names)
    record: Record = {name: read(value) for name, read, value in zip(names, readers, row, strict=True)}
    record[names[0]] = anchor_from_db(row[0])
    return record


def _readers(tables: ObjectTables, names: tuple[str, ...]) -> tuple[Callable[[Any], Any], ...]:
    """`from_db` for each of `names`, specialised to its column once."""
    key = ("readers", names)
    readers: tuple[Callable[[Any], Any], ...] | None = tables.derived.get(key)
    if readers is None:
        readers = tuple(value_reader(tables.columns[name], tables.types.get(name)) for name in names)
        if len(tables.derived) < statements.MAX_SHAPES:
            tables.derived[key] = readers
    return readers


async def _child_elements(
    conn: Session, tables: ObjectTables, spec: ChildSpec, keys: list[Any]
) -> dict[str, list[dict[str, Any]]]:
    order = list(spec.table.primary_key.columns) or [spec.key]
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for chunk in chunks(keys):
        if len(chunk) == 1:  # one object (a GET, a match): a cached statement, no expanding IN list to render
            rows = await conn.fetch(statements.children_of_one(tables, spec), {statements.KEY: chunk[0]})
        else:
            statement = select(spec.key, *spec.columns.values()).where(spec.key.in_(chunk)).order_by(*order)
            rows = await conn.fetch(statement)
        for row in rows:
            found[anchor_from_db(row[0])].append(_element(spec, row[1:]))
    return found


def _element(spec: ChildSpec, values: Sequence[Any]) -> dict[str, Any]:
    """One child row's sub-attributes (in `spec.columns` order), without the NULL ones."""
    return {
        sub: from_db(column, value)
        for (sub, column), value in zip(spec.columns.items(), values, strict=True)
        if value is not None
    }


async def member_anchors(
    conn: Session, tables: ObjectTables, spec: MembersSpec, keys: list[Any]
) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for chunk in chunks(keys):
        if len(chunk) == 1:  # one group (a GET): the kept statement
            rows = await conn.fetch(statements.members_of_one(tables, spec), {statements.KEY: chunk[0]})
        else:
            statement = (
                select(spec.group_key, spec.member_key)
                .where(spec.group_key.in_(chunk))
                .order_by(spec.group_key, spec.member_key)
            )
            rows = await conn.fetch(statement)
        for group, member in rows:
            found[anchor_from_db(group)].append(anchor_from_db(member))
    return found
