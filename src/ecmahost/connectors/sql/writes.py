"""Write objects: insert a row with its child rows and members, update set-columns, replace child rows, add and
remove members idempotently in batches, delete an object with its child and membership rows.

Every function runs on a connection inside a transaction its caller opened (the caller commits or rolls back:
all or nothing). Idempotent member inserts use the dialect's own construct (ON CONFLICT DO NOTHING on
PostgreSQL and SQLite, ON DUPLICATE KEY UPDATE on MariaDB/MySQL, which unlike INSERT IGNORE still reports
foreign key errors). It translates no errors.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, literal, select

from ecmahost.config.model import AnchorGeneration
from ecmahost.connectors.errors import ConfigurationError, ConstraintViolation, ObjectNotFound, Problem
from ecmahost.connectors.query import MEMBERS, Change, Record
from ecmahost.connectors.sql import clearing, reads, statements
from ecmahost.connectors.sql.executor import Session
from ecmahost.connectors.sql.reads import chunks
from ecmahost.connectors.sql.tables import ChildSpec, MembersSpec, ObjectTables
from ecmahost.connectors.sql.values import anchor_to_db, to_db


def single_statement_insert(tables: ObjectTables, record: Record) -> bool:
    """True when creating `record` writes one row and nothing else (no child rows, no members): one statement,
    atomic on its own, so it needs no explicit transaction."""
    return not record.get(MEMBERS) and not any(record.get(attribute) for attribute in tables.children)


def single_statement_update(tables: ObjectTables, change: Change) -> bool:
    """True when `change` is an UPDATE of the object's own row only."""
    return bool(change.set) and not (
        change.replace or change.add_members or change.remove_members or change.clear_members
    )


def _insert_values(tables: ObjectTables, record: Record) -> dict[str, Any]:
    """The row to insert for `record`: converted values, a generated anchor, the timestamps."""
    values = _row_values(tables, record)
    anchor = tables.anchor.name
    if values.get(anchor) is None:
        values.pop(anchor, None)
        if tables.generate is AnchorGeneration.UUID:
            values[anchor] = to_db(tables.anchor, str(uuid.uuid4()))
        elif tables.generate is AnchorGeneration.NONE:
            raise ConstraintViolation(f"{anchor} is required: it is the anchor of {tables.object_type}")
    now = datetime.now(UTC)
    for column in (tables.created, tables.modified):
        if column is not None:
            values[column.name] = to_db(column, now)
    return values


async def insert_object(conn: Session, tables: ObjectTables, record: Record) -> Any:
    """Insert `record`; return its anchor as stored (the database's value, not yet a string)."""
    values = _insert_values(tables, record)
    anchor = tables.anchor.name
    statement = insert(tables.table).values(values)
    if anchor in values:
        await conn.execute(statement)
        anchor_value = values[anchor]
    elif conn.dialect.insert_returning:
        row = await conn.fetch_one(statement.returning(tables.anchor))
        assert row is not None  # an INSERT of one row returns one
        anchor_value = row[0]
    else:
        anchor_value = await conn.inserted_key(statement)
    for attribute, spec in tables.children.items():
        await _insert_children(conn, spec, anchor_value, record.get(attribute) or [])
    if record.get(MEMBERS):
        await add_members(conn, tables, anchor_value, record[MEMBERS])
    return anchor_value


async def insert_row_returning(conn: Session, tables: ObjectTables, record: Record) -> Sequence[Any]:
    """Insert `record` (for which `single_statement_insert` holds) with one `INSERT ... RETURNING` of every
    single-valued column and the timestamps, laid out as `statements.layout(tables, None)`; return that row. The
    dialect must support INSERT RETURNING (`conn.dialect.insert_returning`)."""
    names = statements.single_valued(tables, None)
    row = await conn.fetch_one(statements.insert_returning(tables, names), _insert_values(tables, record))
    assert row is not None  # an INSERT of one row returns one
    return row


def _update_values(tables: ObjectTables, change: Change) -> dict[str, Any]:
    values = _row_values(tables, change.set, updating=True)
    if tables.modified is not None:
        values[tables.modified.name] = to_db(tables.modified, datetime.now(UTC))
    return values


async def update_returning(conn: Session, tables: ObjectTables, anchor: Any, change: Change) -> Record:
    """PostgreSQL, a change of the row's own columns (`single_statement_update`): update and read back the whole
    record in one statement (`statements.update_returning`)."""
    values = _update_values(tables, change)
    shape = statements.updated(tables, tuple(sorted(values)))
    parameters = {statements.SET + name: value for name, value in values.items()}
    parameters[statements.ANCHOR] = anchor
    records = await reads.run_page(conn, tables, shape, parameters)
    if not records:
        raise ObjectNotFound(f"{tables.object_type} {anchor} not found")
    return records[0]


async def update_object(conn: Session, tables: ObjectTables, anchor: Any, change: Change) -> None:
    values = _update_values(tables, change)
    if values:
        found = await conn.execute(statements.update_by_anchor(tables), {**values, statements.ANCHOR: anchor}) > 0
    else:
        where = tables.anchor == literal(anchor, tables.anchor.type)
        found = await conn.fetch_one(select(tables.anchor).where(where)) is not None
    if not found:
        raise ObjectNotFound(f"{tables.object_type} {anchor} not found")
    for attribute, elements in change.replace.items():
        spec = tables.children.get(attribute)
        if spec is None:
            raise ConfigurationError(f"{attribute!r} is not a complex attribute of {tables.object_type}")
        await conn.execute(statements.delete_children(tables, spec), {statements.KEY: anchor})
        await _insert_children(conn, spec, anchor, elements)
    if change.clear_members:
        spec = _members_of(tables)
        group = to_db(spec.group_key, anchor)
        await conn.execute(statements.delete_memberships(tables, spec, "group"), {statements.KEY: group})
    if change.remove_members:
        await remove_members(conn, _members_of(tables), anchor, change.remove_members)
    if change.add_members:
        await add_members(conn, tables, anchor, change.add_members)


async def delete_object(conn: Session, tables: ObjectTables, anchor: Any, member_tables: Iterable[MembersSpec]) -> None:
    """Delete child rows, membership rows (as a group and as a member of any group), then the row."""
    if conn.dialect.name == "postgresql":
        await _delete_in_one_statement(conn, tables, anchor, tuple(member_tables))
        return
    for spec in tables.children.values():
        await conn.execute(statements.delete_children(tables, spec), {statements.KEY: anchor})
    if tables.members is not None:
        await conn.execute(statements.delete_memberships(tables, tables.members, "group"), {statements.KEY: anchor})
    for members in member_tables:
        member = anchor_to_db(members.member_key, str(anchor))
        if member is not None:
            await conn.execute(statements.delete_memberships(tables, members, "member"), {statements.KEY: member})
    if await conn.execute(statements.delete_by_anchor(tables), {statements.ANCHOR: anchor}) == 0:
        raise ObjectNotFound(f"{tables.object_type} {anchor} not found")


async def _delete_in_one_statement(
    conn: Session, tables: ObjectTables, anchor: Any, member_tables: tuple[MembersSpec, ...]
) -> None:
    members = [anchor_to_db(spec.member_key, str(anchor)) for spec in member_tables]
    statement = statements.delete_everywhere(tables, member_tables, tuple(m is not None for m in members))
    parameters = {f"child_{index}": anchor for index in range(len(tables.children))}
    parameters |= {f"member_{index}": member for index, member in enumerate(members) if member is not None}
    if tables.members is not None:
        parameters["group"] = anchor
    parameters[statements.ANCHOR] = anchor
    if await conn.execute(statement, parameters) == 0:
        raise ObjectNotFound(f"{tables.object_type} {anchor} not found")


async def add_members(conn: Session, tables: ObjectTables, group: Any, members: Sequence[str]) -> None:
    """Add members in batches; a member already there is left as is."""
    spec = _members_of(tables)
    group_value = to_db(spec.group_key, group)
    unique = list(dict.fromkeys(to_db(spec.member_key, member) for member in members))
    dialect = conn.dialect.name
    for chunk in chunks(unique):
        if dialect == "postgresql":
            statement = statements.insert_members_ignoring_duplicates(tables, spec, dialect)
            await conn.execute(statement, {statements.GROUP: group_value, statements.MEMBERS_ARRAY: list(chunk)})
        elif dialect in ("sqlite", "mysql"):
            rows = [{spec.group_key.name: group_value, spec.member_key.name: m} for m in chunk]
            await conn.execute(statements.insert_members_ignoring_duplicates(tables, spec, dialect), rows)
        else:
            await _insert_missing(conn, spec, group_value, chunk)


async def remove_members(conn: Session, spec: MembersSpec, group: Any, members: Sequence[str]) -> None:
    """Remove members in batches; a member not there is ignored."""
    group_value = to_db(spec.group_key, group)
    values = [v for v in (anchor_to_db(spec.member_key, m) for m in dict.fromkeys(members)) if v is not None]
    for chunk in chunks(values):
        where = (spec.group_key == literal(group_value, spec.group_key.type)) & spec.member_key.in_(chunk)
        await conn.execute(delete(spec.table).where(where))


async def _insert_missing(conn: Session, spec: MembersSpec, group: Any, chunk: Sequence[Any]) -> None:
    """Portable fallback for other dialects: read which members exist, insert the others."""
    where = (spec.group_key == literal(group, spec.group_key.type)) & spec.member_key.in_(chunk)
    present = {row[0] for row in await conn.fetch(select(spec.member_key).where(where))}
    rows = [{spec.group_key.name: group, spec.member_key.name: m} for m in chunk if m not in present]
    if rows:
        await conn.execute(insert(spec.table), rows)


def _row_values(tables: ObjectTables, record: Record, *, updating: bool = False) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for attribute, value in record.items():
        if attribute == MEMBERS or attribute in tables.children:
            continue
        column = tables.columns.get(attribute)
        if column is None:
            raise ConfigurationError(f"{attribute!r} is not a configured attribute of {tables.object_type}")
        if column is tables.created or column is tables.modified:
            continue
        if updating and column is tables.anchor:
            raise ConstraintViolation(f"{attribute} is the anchor of {tables.object_type}: it cannot change")
        if value is None and attribute in (unassigned := clearing.unassigned_values(tables)):
            if not updating:
                continue  # NOT NULL with a default: the database fills it
            value = _default_for(attribute, unassigned[attribute])
        values[column.name] = to_db(column, value)
    return values


def _default_for(attribute: str, default: Any) -> Any:
    """What removing `attribute` writes to its NOT NULL column: the column's constant default
    (`clearing.unassigned_values`), or a refusal naming it when the default is an expression."""
    if default is clearing.NO_CONSTANT:
        raise ConstraintViolation(
            f"{attribute} cannot be removed: the target needs a value there and its default is computed, not a "
            "value the host can write; give it a value instead",
            attribute=attribute,
            problem=Problem.REQUIRED,
        )
    return default


async def _insert_children(conn: Session, spec: ChildSpec, anchor: Any, elements: list[dict[str, Any]]) -> None:
    if not elements:
        return
    subs = sorted({sub for element in elements for sub in element})
    unknown = [sub for sub in subs if sub not in spec.columns]
    if unknown:
        raise ConstraintViolation(f"{spec.attribute}: unknown sub-attributes {unknown}; known: {list(spec.columns)}")
    rows = [
        {
            spec.key.name: to_db(spec.key, anchor),
            **{spec.columns[sub].name: to_db(spec.columns[sub], element.get(sub)) for sub in subs},
        }
        for element in elements
    ]
    await conn.execute(insert(spec.table), rows)


def _members_of(tables: ObjectTables) -> MembersSpec:
    if tables.members is None:
        raise ConfigurationError(f"{tables.object_type} has no members: configure `members:` for it")
    return tables.members
