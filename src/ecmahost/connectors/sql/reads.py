"""Read objects: one statement for the page (filter, sort, LIMIT/OFFSET), an exact total with a COUNT only when
the page cannot tell it, and one `key IN (...)` query per child table (and for members, when asked), never N+1.

It runs statements on a connection it is given; it opens no transaction and translates no errors.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ecmahost.connectors.query import MEMBERS, META_CREATED, META_MODIFIED, Record, SearchQuery, SearchResult
from ecmahost.connectors.sql.compile import compile_filter, compile_sort
from ecmahost.connectors.sql.tables import ChildSpec, MembersSpec, ObjectTables
from ecmahost.connectors.sql.values import anchor_from_db, from_db

IN_LIST_CHUNK = 500
"""At most this many values in one `IN (...)` list: well under every driver's bound parameter limit."""


def chunks(values: Sequence[Any], size: int = IN_LIST_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def search(conn: AsyncConnection, tables: ObjectTables, query: SearchQuery) -> SearchResult:
    dialect = conn.dialect.name
    where = compile_filter(query.filter, tables, dialect) if query.filter is not None else None
    offset = max(query.offset, 0)
    if query.limit == 0:
        return SearchResult(total=await count(conn, tables, where), records=[])
    order = compile_sort(query.sort, tables, dialect)
    records = await read_records(conn, tables, where, query.attributes, order, offset, query.limit)
    found = len(records)
    if (query.limit is None or found < query.limit) and (found > 0 or offset == 0):
        return SearchResult(total=offset + found, records=records)
    return SearchResult(total=await count(conn, tables, where), records=records)


async def count(conn: AsyncConnection, tables: ObjectTables, where: ColumnElement[bool] | None) -> int:
    statement = select(func.count()).select_from(tables.table)
    if where is not None:
        statement = statement.where(where)
    return int((await conn.execute(statement)).scalar_one())


async def get_record(
    conn: AsyncConnection, tables: ObjectTables, anchor: Any, attributes: frozenset[str] | None
) -> Record | None:
    """The object whose anchor column holds `anchor` (already converted for that column), or None."""
    where = tables.anchor == literal(anchor, tables.anchor.type)
    records = await read_records(conn, tables, where, attributes, [], 0, None)
    return records[0] if records else None


async def read_records(
    conn: AsyncConnection,
    tables: ObjectTables,
    where: ColumnElement[bool] | None,
    attributes: frozenset[str] | None,
    order: list[Any],
    offset: int,
    limit: int | None,
) -> list[Record]:
    names = _single_valued(tables, attributes)
    stamps = [
        (key, column)
        for key, column in ((META_CREATED, tables.created), (META_MODIFIED, tables.modified))
        if column is not None
    ]
    columns = [tables.columns[name] for name in names] + [column for _, column in stamps]
    statement = select(*columns).order_by(*order)
    if where is not None:
        statement = statement.where(where)
    if offset:
        statement = statement.offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    rows = (await conn.execute(statement)).all()
    records = [_record(tables, names, row[: len(names)]) for row in rows]
    for record, row in zip(records, rows, strict=True):
        for (key, column), value in zip(stamps, row[len(names) :], strict=True):
            record[key] = from_db(column, value)
    if not records:
        return records
    keys = [row[0] for row in rows]
    for attribute in _children(tables, attributes):
        elements = await _child_elements(conn, tables.children[attribute], keys)
        for record in records:
            record[attribute] = elements.get(record[names[0]], [])
    if tables.members is not None and attributes is not None and MEMBERS in attributes:
        members = await member_anchors(conn, tables.members, keys)
        for record in records:
            record[MEMBERS] = members.get(record[names[0]], [])
    return records


def _single_valued(tables: ObjectTables, attributes: frozenset[str] | None) -> list[str]:
    """The columns to select, the anchor first."""
    anchor = tables.anchor.name
    wanted = tables.columns.keys() if attributes is None else attributes & tables.columns.keys()
    return [anchor, *sorted(name for name in wanted if name != anchor)]


def _children(tables: ObjectTables, attributes: frozenset[str] | None) -> list[str]:
    if attributes is None:
        return list(tables.children)
    return [name for name in tables.children if name in attributes]


def _record(tables: ObjectTables, names: list[str], row: Sequence[Any]) -> Record:
    record: Record = {
        name: from_db(tables.columns[name], value, tables.types.get(name))
        for name, value in zip(names, row, strict=True)
    }
    record[names[0]] = anchor_from_db(row[0])
    return record


async def _child_elements(conn: AsyncConnection, spec: ChildSpec, keys: list[Any]) -> dict[str, list[dict[str, Any]]]:
    subs = list(spec.columns)
    order = list(spec.table.primary_key.columns) or [spec.key]
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for chunk in chunks(keys):
        statement = select(spec.key, *spec.columns.values()).where(spec.key.in_(chunk)).order_by(*order)
        for row in (await conn.execute(statement)).all():
            element = {
                sub: from_db(spec.columns[sub], value)
                for sub, value in zip(subs, row[1:], strict=True)
                if value is not None
            }
            found[anchor_from_db(row[0])].append(element)
    return found


async def member_anchors(conn: AsyncConnection, spec: MembersSpec, keys: list[Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for chunk in chunks(keys):
        statement = (
            select(spec.group_key, spec.member_key)
            .where(spec.group_key.in_(chunk))
            .order_by(spec.group_key, spec.member_key)
        )
        for group, member in (await conn.execute(statement)).all():
            found[anchor_from_db(group)].append(anchor_from_db(member))
    return found
