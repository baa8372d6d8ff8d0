"""`MemoryConnector`: the smallest complete connector. Objects live in a dict (lost at restart); the rules a real
target enforces (unique and required attributes, members that exist) come from the kit's helpers.

Everything comes from `ecmahost.kit`, ecmahost's stable surface for connector authors. Replace each method's body
with calls to your target, keeping the contract of `Connector` (its docstring): coroutines, typed errors
(`ObjectNotFound`, `ObjectExists`, `ConstraintViolation`, `TargetUnavailable`), fresh records, exact totals.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from ecmahost.kit import (
    MEMBERS,
    Change,
    ConnectionSettings,
    Connector,
    ConnectorConfig,
    ConstraintViolation,
    DiscoveredSchema,
    ObjectNotFound,
    Record,
    SearchQuery,
    SearchResult,
    apply_change,
    check_required,
    check_unique,
    project,
    search_records,
)


class MemoryConnection(ConnectionSettings):
    """The `connection:` block of a `type: memory` connector file (this template needs no setting; a secret field
    is typed `ecmahost.kit.Secret`). Your object types' own keys (a table, a path) go in a `TargetSettings`
    model named by `object_type_model`; the base class hands them over as `self.targets[object_type]`."""

    label: str = "memory"


class MemoryConnector(Connector):
    type_name = "memory"
    version = "0.1.0"
    description = "Template: objects kept in memory (copy ecmahost-connector-template to write your own)"
    connection_model = MemoryConnection
    connection: MemoryConnection

    def __init__(self, config: ConnectorConfig, *, home: Path) -> None:
        super().__init__(config, home=home)
        self._objects: dict[str, dict[str, Record]] = {name: {} for name in config.object_types}
        self._lock = asyncio.Lock()

    def has_members(self, object_type: str) -> bool:
        return object_type == "Group"

    async def check(self) -> None:
        return None

    async def discover(self) -> DiscoveredSchema:
        return DiscoveredSchema()

    async def search(self, object_type: str, query: SearchQuery) -> SearchResult:
        return search_records(self._objects[object_type].values(), query, self._anchor(object_type))

    async def get(self, object_type: str, anchor: str, attributes: frozenset[str] | None = None) -> Record:
        return project(self._find(object_type, anchor), attributes, self._anchor(object_type))

    async def create(self, object_type: str, record: Record) -> Record:
        spec = self.config.object_types[object_type]  # type: ignore[index]
        new = {key: value for key, value in record.items() if value is not None}
        new.setdefault(spec.anchor.attribute, str(uuid.uuid4()))
        if object_type == "Group":
            new[MEMBERS] = list(dict.fromkeys(new.get(MEMBERS) or []))
        async with self._lock:
            check_required(spec, new)
            check_unique(spec, self._objects[object_type].values(), new)
            self._check_members(new.get(MEMBERS) or [])
            self._objects[object_type][new[spec.anchor.attribute]] = new
        wanted = None if MEMBERS not in record else frozenset([*spec.attributes, MEMBERS])
        return project(new, wanted, spec.anchor.attribute)

    async def update(self, object_type: str, anchor: str, change: Change) -> None:
        spec = self.config.object_types[object_type]  # type: ignore[index]
        async with self._lock:
            updated = apply_change(self._find(object_type, anchor), change)
            check_required(spec, updated)
            others = [r for key, r in self._objects[object_type].items() if key != anchor]
            check_unique(spec, others, updated)
            self._check_members(change.add_members)
            self._objects[object_type][anchor] = updated

    async def delete(self, object_type: str, anchor: str) -> None:
        async with self._lock:
            self._find(object_type, anchor)
            del self._objects[object_type][anchor]
            for group in self._objects.get("Group", {}).values():
                if anchor in group.get(MEMBERS, []):
                    group[MEMBERS].remove(anchor)

    def _anchor(self, object_type: str) -> str:
        return self.config.object_types[object_type].anchor.attribute  # type: ignore[index]

    def _find(self, object_type: str, anchor: str) -> Record:
        try:
            return self._objects[object_type][anchor]
        except KeyError:
            raise ObjectNotFound(f"{object_type} {anchor} not found") from None

    def _check_members(self, members: list[str]) -> None:
        known = {anchor for objects in self._objects.values() for anchor in objects}
        if any(member not in known for member in members):
            raise ConstraintViolation("a member does not exist")
