"""Read objects: one statement for the page (filter, sort, LIMIT/OFFSET), an exact total with a COUNT only when
the page cannot tell it, and one `key IN (...)` query per child table (and for members, when asked), never N+1.
A read by anchor and an `attribute eq value` match use the kept statements of `statements`, with the one child
table asked for LEFT JOINed in, so they cost one round trip.

One straight line: it asks `statements` for a `Shape` (the statement and the layout of its rows), runs it on the
session it is given (`executor.Session`) and turns the rows into records. It builds no SQL, opens no transaction
and translates no errors.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ecmahost.connectors.query import MEMBERS, Compare, Record, SearchQuery, SearchResult
from ecmahost.connectors.sql import statements
from ecmahost.connectors.sql.executor import Session
from ecmahost.connectors.sql.statements import Shape
from ecmahost.connectors.sql.tables import ChildSpec, MembersSpec, ObjectTables
from ecmahost.connectors.sql.values import anchor_from_db, from_db, to_db, value_reader

IN_LIST_CHUNK = 500
"""At most this many values in one `IN (...)` list: well under every driver's bound parameter limit."""


def chunks(values: Sequence[Any], size: int = IN_LIST_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def search(conn: Session, tables: ObjectTables, query: SearchQuery) -> SearchResult:
    dialect = conn.dialect.name
    if query.limit == 0:
        return SearchResult(
            total=await _count(conn, tables, statements.where(tables, query.filter, dialect)), records=[]
        )
    shape = statements.match(tables, query, dialect)
    if shape is not None:  # Entra's matching query: one attribute `eq` a value, first page
        compare = query.filter
        assert isinstance(compare, Compare)
        assert query.limit is not None
        parameters = {statements.VALUE: to_db(tables.columns[compare.attribute], compare.value)}
        records = await run_page(conn, tables, shape, parameters)
        if len(records) < query.limit:
            return SearchResult(total=len(records), records=records)
        condition = statements.where(tables, query.filter, dialect)
    else:
        condition = statements.where(tables, query.filter, dialect)
        records = await run_page(conn, tables, statements.page(tables, query, condition, dialect), {})
    offset, found = max(query.offset, 0), len(records)
    if (query.limit is None or found < query.limit) and (found > 0 or offset == 0):
        return SearchResult(total=offset + found, records=records)
    return SearchResult(total=await _count(conn, tables, condition), records=records)


async def _count(conn: Session, tables: ObjectTables, condition: Any) -> int:
    row = await conn.fetch_one(statements.count(tables, condition))
    assert row is not None  # COUNT(*) always answers one row
    return int(row[0])


async def get_record(
    conn: Session, tables: ObjectTables, anchor: Any, attributes: frozenset[str] | None
) -> Record | None:
    """The object whose anchor column holds `anchor` (already converted for that column), or None."""
    records = await run_page(conn, tables, statements.read_by_anchor(tables, attributes), {statements.ANCHOR: anchor})
    return records[0] if records else None


async def run_page(conn: Session, tables: ObjectTables, shape: Shape, parameters: dict[str, Any]) -> list[Record]:
    """Run `shape`'s statement and make its rows records, with the child rows and members it asks for."""
    rows = await conn.fetch(shape.statement, parameters)
    joined = shape.joined
    if joined is None:
        return await _complete(conn, tables, shape, rows)
    width = len(shape.names) + len(shape.stamps)
    parents: list[Sequence[Any]] = []
    elements: list[list[dict[str, Any]]] = []
    for row in rows:  # ordered by parent: one row per child row, or one with a NULL key for none
        if not parents or row[0] != parents[-1][0]:
            parents.append(row[:width])
            elements.append([])
        if row[width] is not None:
            elements[-1].append(_element(joined, row[width + 1 :]))
    records = await _complete(conn, tables, shape, parents)
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
    """Records from rows selected as `statements.layout(attributes)` lays them out (an INSERT ... RETURNING),
    with their child rows and members read; `no_children` when the caller knows there are none (the row was just
    inserted under a new generated anchor)."""
    shape = statements.layout(tables, attributes, join=False)
    return await _complete(conn, tables, shape, rows, no_children=no_children)


async def _complete(
    conn: Session, tables: ObjectTables, shape: Shape, rows: Sequence[Any], *, no_children: bool = False
) -> list[Record]:
    names = shape.names
    readers = _readers(tables, names)
    width = len(names)
    records = [_record(names, readers, row[:width]) for row in rows]
    for record, row in zip(records, rows, strict=True):
        for (key, column), value in zip(shape.stamps, row[width:], strict=True):
            record[key] = from_db(column, value)
    if not records:
        return records
    keys = [row[0] for row in rows]
    anchor = names[0]
    for spec, one in shape.children:
        elements = {} if no_children else await _child_elements(conn, spec, one, keys)
        for record in records:
            record[spec.attribute] = elements.get(record[anchor], [])
    if shape.members is not None:
        members = await _member_anchors(conn, *shape.members, keys)
        for record in records:
            record[MEMBERS] = members.get(record[anchor], [])
    return records


def _record(names: tuple[str, ...], readers: tuple[Callable[[Any], Any], ...], row: Sequence[Any]) -> Record:
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


async def _child_elements(conn: Session, spec: ChildSpec, one: Any, keys: list[Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for chunk in chunks(keys):
        if len(chunk) == 1:  # one object (a GET, a match): the kept statement, no expanding IN list to render
            rows = await conn.fetch(one, {statements.KEY: chunk[0]})
        else:
            rows = await conn.fetch(statements.children_of_many(spec, chunk))
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


async def _member_anchors(conn: Session, spec: MembersSpec, one: Any, keys: list[Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for chunk in chunks(keys):
        if len(chunk) == 1:  # one group (a GET): the kept statement
            rows = await conn.fetch(one, {statements.KEY: chunk[0]})
        else:
            rows = await conn.fetch(statements.members_of_many(spec, chunk))
        for group, member in rows:
            found[anchor_from_db(group)].append(anchor_from_db(member))
    return found
