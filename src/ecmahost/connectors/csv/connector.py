"""`CsvConnector`: a file-backed target (`type: csv`) for small apps and demos, one CSV file per object type.

Each row is an object, each selected attribute a column, the anchor's column the anchor column; a complex
attribute is a JSON cell, a group's members one cell of anchors joined by `multi_value_separator`. Filters are
evaluated in memory over the whole file (`connectors.kit`), which suits files of a few thousand rows, not more.
The rules a database would enforce (required, unique, members that exist) are checked here, under the file's
write lock, so they hold even with concurrent requests. Writes are atomic (see `table`). Removing a deleted
user from groups and deleting its row are two file writes, done in that order.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio

from ecmahost.config.model import AnchorGeneration, AttributeType, ConnectorConfig, ObjectTypeConfig
from ecmahost.connectors.base import (
    Connector,
    DiscoveredAttribute,
    DiscoveredObjectClass,
    DiscoveredSchema,
    TargetProblem,
)
from ecmahost.connectors.csv.models import CsvConnection, CsvObjectType
from ecmahost.connectors.csv.table import CsvTable, Row, Snapshot
from ecmahost.connectors.csv.verify import file_problems
from ecmahost.connectors.errors import ConfigurationError, ConstraintViolation, MembersNotFound, ObjectNotFound
from ecmahost.connectors.kit import apply_change, check_required, check_unique, project, search_records
from ecmahost.connectors.kit.records import coerce, from_text, to_text
from ecmahost.connectors.query import MEMBERS, Change, Record, SearchQuery, SearchResult

T = TypeVar("T")
_META_KEYS = frozenset({"__meta_created__", "__meta_modified__"})


class _ObjectFile:
    """One object type and its file: rows <-> records."""

    def __init__(self, name: str, spec: ObjectTypeConfig, target: CsvObjectType, table: CsvTable, sep: str) -> None:
        self.name = name
        self.spec = spec
        self.target = target
        self.table = table
        self.separator = sep
        self.anchor = spec.anchor.attribute

    def records(self, snapshot: Snapshot) -> list[Record]:
        return [self.to_record(row) for row in snapshot.rows]

    def to_record(self, row: Row) -> Record:
        record: Record = {
            name: from_text(row.get(name, ""), attribute.type, name) for name, attribute in self.spec.attributes.items()
        }
        if self.target.members_column:
            cell = row.get(self.target.members_column, "")
            record[MEMBERS] = [m for m in cell.split(self.separator) if m] if cell else []
        return record

    def to_row(self, record: Record, base: Row | None = None) -> Row:
        row = dict(base or {})
        for name, attribute in self.spec.attributes.items():
            row[name] = to_text(record.get(name), attribute.type)
        if self.target.members_column:
            row[self.target.members_column] = self.separator.join(record.get(MEMBERS) or [])
        return row

    def index_of(self, snapshot: Snapshot, anchor: str) -> int:
        for index, row in enumerate(snapshot.rows):
            if row.get(self.anchor) == anchor:
                return index
        raise ObjectNotFound(f"{self.name} {anchor} not found")


class CsvConnector(Connector):
    type_name = "csv"
    version = "1.0"
    description = "A CSV file per object type (small apps and demos); writes are atomic"
    connection_model = CsvConnection
    object_type_model = CsvObjectType
    connection: CsvConnection
    targets: dict[str, CsvObjectType]

    def __init__(self, config: ConnectorConfig, *, home: Path) -> None:
        super().__init__(config, home=home)
        self.folder = (home / self.connection.folder).resolve()
        self._files: dict[str, _ObjectFile] = {}
        for name, spec in config.object_types.items():
            target = self.targets[name]
            columns = list(spec.attributes) + ([target.members_column] if target.members_column else [])
            table = CsvTable(self.folder / target.file, self.connection, columns)
            self._files[name] = _ObjectFile(name, spec, target, table, self.connection.multi_value_separator)

    def has_members(self, object_type: str) -> bool:
        item = self._files.get(object_type)
        return item is not None and item.target.members_column is not None

    async def check(self) -> None:
        if not self.folder.is_dir():
            raise ConfigurationError(f"the folder {self.folder} does not exist; create it or fix `connection.folder`")
        for item in self._files.values():
            await _threaded(item.table.read)

    async def verify(self) -> list[TargetProblem]:
        return await _threaded(file_problems, self.folder, self.connection, self.config)

    async def discover(self) -> DiscoveredSchema:
        return await _threaded(self._discover)

    async def search(self, object_type: str, query: SearchQuery) -> SearchResult:
        item = self._file(object_type)
        snapshot = await _threaded(item.table.read)
        return search_records(item.records(snapshot), query, item.anchor)

    async def get(self, object_type: str, anchor: str, attributes: frozenset[str] | None = None) -> Record:
        item = self._file(object_type)
        snapshot = await _threaded(item.table.read)
        return project(item.to_record(snapshot.rows[item.index_of(snapshot, anchor)]), attributes, item.anchor)

    async def create(self, object_type: str, record: Record) -> Record:
        item = self._file(object_type)
        new = self._typed(item, record)
        if new.get(item.anchor) in (None, ""):
            generation = item.spec.anchor.generate
            if generation is AnchorGeneration.UUID:
                new[item.anchor] = str(uuid.uuid4())
            elif generation is AnchorGeneration.TARGET:
                raise ConfigurationError(f"a CSV file cannot generate {item.anchor}: use `generate: uuid` or `none`")
        check_required(item.spec, new)
        if new.get(MEMBERS):
            await self._check_members_exist(new[MEMBERS])

        def append(snapshot: Snapshot) -> Snapshot:
            check_unique(item.spec, item.records(snapshot), new)
            return Snapshot(snapshot.header, [*snapshot.rows, item.to_row(new)])

        await _threaded(item.table.write, append)
        wanted = None if MEMBERS not in record else frozenset([*item.spec.attributes, MEMBERS])
        return project(new, wanted, item.anchor)

    async def update(self, object_type: str, anchor: str, change: Change) -> None:
        item = self._file(object_type)
        typed = Change(
            set=self._typed(item, change.set),
            replace=change.replace,
            add_members=change.add_members,
            remove_members=change.remove_members,
            clear_members=change.clear_members,
        )
        if typed.add_members and item.target.members_column is None:
            raise ConfigurationError(f"{object_type} has no `members_column`; set one to store members")
        if item.anchor in typed.set and typed.set[item.anchor] != anchor:
            raise ConstraintViolation(f"{item.anchor} is the anchor and cannot change")
        if typed.add_members:
            await self._check_members_exist(typed.add_members)

        def rewrite(snapshot: Snapshot) -> Snapshot:
            index = item.index_of(snapshot, anchor)
            records = item.records(snapshot)
            updated = apply_change(records[index], typed)
            check_required(item.spec, updated)
            check_unique(item.spec, records[:index] + records[index + 1 :], updated)
            rows = list(snapshot.rows)
            rows[index] = item.to_row(updated, rows[index])
            return Snapshot(snapshot.header, rows)

        await _threaded(item.table.write, rewrite)

    async def delete(self, object_type: str, anchor: str) -> None:
        item = self._file(object_type)
        item.index_of(await _threaded(item.table.read), anchor)
        for group in self._files.values():
            if group.target.members_column is not None:
                await _threaded(group.table.write, functools.partial(_without_member, group, anchor))

        def remove(snapshot: Snapshot) -> Snapshot:
            index = item.index_of(snapshot, anchor)
            return Snapshot(snapshot.header, snapshot.rows[:index] + snapshot.rows[index + 1 :])

        await _threaded(item.table.write, remove)

    # -- internals ---------------------------------------------------------------------------------------
    def _file(self, object_type: str) -> _ObjectFile:
        try:
            return self._files[object_type]
        except KeyError:
            raise ConfigurationError(
                f"object type {object_type!r} is not configured for connector {self.name!r}"
            ) from None

    def _typed(self, item: _ObjectFile, values: Record) -> Record:
        typed: Record = {}
        for name, value in values.items():
            if name in _META_KEYS:
                continue
            if name == MEMBERS:
                typed[name] = [str(member) for member in value or []]
                continue
            attribute = item.spec.attributes.get(name)
            if attribute is None:
                raise ConfigurationError(f"{name} is not a selected attribute of {item.name}")
            typed[name] = coerce(value, attribute.type, name)
        return typed

    async def _check_members_exist(self, members: list[str]) -> None:
        known: set[str] = set()
        for item in self._files.values():
            snapshot = await _threaded(item.table.read)
            known.update(row.get(item.anchor, "") for row in snapshot.rows)
        missing = [member for member in members if member not in known]
        if missing:
            raise MembersNotFound(missing, " or ".join(self._files))

    def _discover(self) -> DiscoveredSchema:
        classes = []
        for item in self._files.values():
            snapshot = item.table.read()
            attributes = [
                DiscoveredAttribute(
                    name=column,
                    type=item.spec.attributes[column].type if column in item.spec.attributes else AttributeType.STRING,
                    primary_key=column == item.anchor,
                )
                for column in snapshot.header
            ]
            classes.append(DiscoveredObjectClass(name=item.target.file, kind="file", attributes=attributes))
        return DiscoveredSchema(classes, {"folder": str(self.folder), "encoding": self.connection.encoding})


def _without_member(group: _ObjectFile, member: str, snapshot: Snapshot) -> Snapshot:
    column = group.target.members_column
    assert column is not None
    rows = []
    for row in snapshot.rows:
        members = [m for m in row.get(column, "").split(group.separator) if m]
        rows.append({**row, column: group.separator.join(m for m in members if m != member)})
    return Snapshot(snapshot.header, rows)


async def _threaded(function: Callable[..., T], *args: Any) -> T:
    return await anyio.to_thread.run_sync(functools.partial(function, *args))
