"""`MemoryConnector`: a complete `Connector` on plain dicts, for tests and as the reference example of the contract.

It keeps nothing across restarts and is never a production target: it is not an installed connector type (no
entry point), so a connector file cannot name it; a test hands it to the host (`HostRuntime.build(...,
types={"memory": MemoryConnector})`) or builds it directly. It does what a database would: anchors generated as
uuid when the file says `generate: uuid`, `required` and `unique` attributes (and the anchor) enforced
(`ConstraintViolation`, `ObjectExists`), a group's members kept as a set of ids that must exist
(`MembersNotFound`), a deleted object removed from every group. Searches go through `kit.search_records`; every
record returned is a fresh copy; writes are serialized by one `asyncio.Lock`. Every object type stores its creation
and modification times (`timestamps`, in UTC, searchable like any dateTime attribute); `clear_rules` and `verify`
keep the base class defaults (nothing the target fills by itself, nothing to compare a file with).
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ecmahost.config.model import GENERIC_OBJECT_TYPE_KEYS, AnchorGeneration, ConnectorConfig, ObjectTypeConfig
from ecmahost.connectors.base import Connector, DiscoveredAttribute, DiscoveredObjectClass, DiscoveredSchema
from ecmahost.connectors.errors import ConfigurationError, ConstraintViolation, MembersNotFound, ObjectNotFound
from ecmahost.connectors.kit.memory import project, search_records
from ecmahost.connectors.kit.records import apply_change, check_required, check_unique
from ecmahost.connectors.query import MEMBERS, META_CREATED, META_MODIFIED, Change, Record, SearchQuery, SearchResult

GROUP = "Group"
"""the object type that holds members"""
_META_KEYS = frozenset({META_CREATED, META_MODIFIED})


class MemoryConnector(Connector):
    type_name = "memory"
    version = "1.0"
    description = "Objects in a dict of this process (tests only: nothing is kept across restarts)"

    def __init__(self, config: ConnectorConfig, *, home: Path) -> None:
        super().__init__(config, home=home)
        self.objects: dict[str, dict[str, Record]] = {name: {} for name in config.object_types}
        """object type -> anchor -> record (without members)"""
        self.members: dict[str, set[str]] = {}
        """group anchor -> member anchors"""
        self.lock = asyncio.Lock()

    @classmethod
    def config_like(cls, raw: Mapping[str, Any]) -> ConnectorConfig:
        """The configuration of a connector file's plain data (any type's) served in memory instead: its name,
        token, limits, views and object types (anchors, attributes, deprovisioning), without its connection and
        its type's own keys."""
        object_types = {
            name: {key: value for key, value in body.items() if key in GENERIC_OBJECT_TYPE_KEYS}
            for name, body in raw["object_types"].items()
        }
        plain = {key: value for key, value in raw.items() if key != "connection"}
        return ConnectorConfig.model_validate({**plain, "type": cls.type_name, "object_types": object_types})

    def has_members(self, object_type: str) -> bool:
        return object_type == GROUP and GROUP in self.objects

    def timestamps(self, object_type: str) -> frozenset[str]:
        return _META_KEYS

    async def check(self) -> None:
        return None

    async def discover(self) -> DiscoveredSchema:
        classes = [
            DiscoveredObjectClass(
                name=name,
                kind="memory",
                attributes=[
                    DiscoveredAttribute(attr, a.type, primary_key=attr == spec.anchor.attribute)
                    for attr, a in spec.attributes.items()
                ],
            )
            for name, spec in self.config.object_types.items()
        ]
        return DiscoveredSchema(classes, {"target": "memory"})

    async def search(self, object_type: str, query: SearchQuery) -> SearchResult:
        spec = self._spec(object_type)
        records = (self._view(object_type, record, spec) for record in self.objects[object_type].values())
        return search_records(records, query, spec.anchor.attribute)

    async def get(self, object_type: str, anchor: str, attributes: frozenset[str] | None = None) -> Record:
        spec = self._spec(object_type)
        return project(
            self._view(object_type, self._stored(object_type, anchor), spec), attributes, spec.anchor.attribute
        )

    async def create(self, object_type: str, record: Record) -> Record:
        spec = self._spec(object_type)
        key = spec.anchor.attribute
        new = self._checked(object_type, spec, record)
        members = set(new.pop(MEMBERS, None) or [])
        async with self.lock:
            if new.get(key) in (None, ""):
                if spec.anchor.generate is not AnchorGeneration.UUID:
                    raise ConstraintViolation(f"{key} is the anchor: send it (the file does not say `generate: uuid`)")
                new[key] = str(uuid.uuid4())
            check_required(spec, new)
            check_unique(spec, self.objects[object_type].values(), new)
            self._check_members_exist(members)
            anchor = str(new[key])
            new[META_CREATED] = new[META_MODIFIED] = datetime.now(UTC)
            self.objects[object_type][anchor] = new
            if self.has_members(object_type):
                self.members[anchor] = members
        wanted = None if MEMBERS not in record else frozenset([*spec.attributes, MEMBERS])
        return project(self._view(object_type, new, spec), wanted, key)

    async def update(self, object_type: str, anchor: str, change: Change) -> Record:
        spec = self._spec(object_type)
        key = spec.anchor.attribute
        written = Change(
            set=self._checked(object_type, spec, change.set), replace=self._checked(object_type, spec, change.replace)
        )
        if key in change.set and change.set[key] != anchor:
            raise ConstraintViolation(f"{key} is the anchor and cannot change")
        if (change.add_members or change.remove_members or change.clear_members) and not self.has_members(object_type):
            raise ConfigurationError(f"{object_type} holds no members")
        async with self.lock:
            current = self._stored(object_type, anchor)
            updated = apply_change(current, written)
            check_required(spec, updated)
            check_unique(spec, (r for a, r in self.objects[object_type].items() if a != anchor), updated)
            self._check_members_exist(set(change.add_members))
            updated[META_MODIFIED] = datetime.now(UTC)
            self.objects[object_type][anchor] = updated
            if self.has_members(object_type):
                members = set() if change.clear_members else self.members.get(anchor, set())
                removed = set(change.remove_members)
                self.members[anchor] = (members - removed) | (set(change.add_members) - removed)
            return project(updated, None, key)

    async def delete(self, object_type: str, anchor: str) -> None:
        self._spec(object_type)
        async with self.lock:
            self._stored(object_type, anchor)
            del self.objects[object_type][anchor]
            if self.has_members(object_type):
                self.members.pop(anchor, None)
            for members in self.members.values():
                members.discard(anchor)

    # -- internals ---------------------------------------------------------------------------------------
    def _spec(self, object_type: str) -> ObjectTypeConfig:
        spec = self.config.object_types.get(object_type)  # type: ignore[call-overload]
        if spec is None:
            raise ConfigurationError(f"object type {object_type!r} is not configured for connector {self.name!r}")
        return spec

    def _stored(self, object_type: str, anchor: str) -> Record:
        try:
            return self.objects[object_type][anchor]
        except KeyError:
            raise ObjectNotFound(f"{object_type} {anchor} not found") from None

    def _view(self, object_type: str, record: Record, spec: ObjectTypeConfig) -> Record:
        """The stored record with its members as a sorted list (not a copy: `project` copies)."""
        if not self.has_members(object_type):
            return record
        return {**record, MEMBERS: sorted(self.members.get(str(record[spec.anchor.attribute]), ()))}

    def _checked(self, object_type: str, spec: ObjectTypeConfig, values: Record) -> Record:
        """A deep copy of `values` without `meta` keys; `ConfigurationError` naming an attribute not selected."""
        record: Record = {}
        for name, value in values.items():
            if name in _META_KEYS:
                continue
            if name == MEMBERS:
                if not self.has_members(object_type):
                    raise ConfigurationError(f"{object_type} holds no members")
                record[name] = [str(member) for member in value or []]
            elif name not in spec.attributes:
                raise ConfigurationError(f"{name} is not a selected attribute of {object_type}")
            else:
                record[name] = copy.deepcopy(value)
        return record

    def _check_members_exist(self, members: set[str]) -> None:
        missing = sorted(m for m in members if not any(m in objects for objects in self.objects.values()))
        if missing:
            raise MembersNotFound(missing, " or ".join(self.objects))
