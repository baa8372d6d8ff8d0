"""`ScriptConnector` (`type: script`, the role of the ECMA host's PowerShell connector): every operation is
answered by a program the admin points at, in any language, through the JSON protocol of `protocol`.

The host checks what a target without a schema cannot (required attributes) before calling the script, types the
values a script answers by the connector file (a `dateTime` string becomes a datetime), and with
`filtering: host` filters, sorts and pages the script's full listing in memory (`connectors.kit`). A `get` with no
program of its own is a search on the anchor. How processes run (timeouts, limits, stderr) is `runner`'s job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ecmahost.config.model import ConnectorConfig
from ecmahost.connectors.base import (
    Connector,
    DiscoveredAttribute,
    DiscoveredObjectClass,
    DiscoveredSchema,
    TargetProblem,
)
from ecmahost.connectors.errors import (
    ConfigurationError,
    ConstraintViolation,
    ObjectNotFound,
    Problem,
    TargetUnavailable,
)
from ecmahost.connectors.kit import check_required, project, search_records
from ecmahost.connectors.kit.records import coerce
from ecmahost.connectors.query import MEMBERS, Change, Compare, Op, Record, SearchQuery, SearchResult
from ecmahost.connectors.script import protocol
from ecmahost.connectors.script.models import Filtering, Mode, Operation, ScriptConnection, ScriptObjectType
from ecmahost.connectors.script.runner import ProcessSettings, WorkerPool, run_once
from ecmahost.connectors.script.verify import program_problems


class ScriptConnector(Connector):
    type_name = "script"
    version = "1.0"
    description = "Programs in any language (Python, shell, PowerShell 7) answering JSON on stdin/stdout"
    connection_model = ScriptConnection
    object_type_model = ScriptObjectType
    connection: ScriptConnection

    def __init__(self, config: ConnectorConfig, *, home: Path) -> None:
        super().__init__(config, home=home)
        self.settings = ProcessSettings(
            connector=config.name,
            cwd=(home / self.connection.working_directory).resolve(),
            timeout=self.connection.timeout_seconds,
            max_output=self.connection.max_output_bytes,
            parameters=dict(self.connection.parameters),
            inherit=tuple(self.connection.inherit_environment),
        )
        self._pool: WorkerPool | None = None
        if self.connection.mode is Mode.WORKER and self.connection.command:
            self._pool = WorkerPool(self.settings, self.connection.command, self.connection.workers)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.stop()

    def has_members(self, object_type: str) -> bool:
        return object_type == "Group"

    async def check(self) -> None:
        if self.connection.argv(Operation.CHECK) is not None:
            await self._call(Operation.CHECK, None, {})

    async def verify(self) -> list[TargetProblem]:
        return program_problems(self.settings, self.connection)

    async def discover(self) -> DiscoveredSchema:
        answer = await self._call(Operation.SCHEMA, None, {})
        classes = []
        for item in answer.get("object_classes") or []:
            attributes = [
                DiscoveredAttribute(name=str(a["name"]), detail=str(a.get("type", "")))
                for a in item.get("attributes") or []
                if isinstance(a, dict) and "name" in a
            ]
            classes.append(DiscoveredObjectClass(str(item.get("name")), str(item.get("kind", "object")), attributes))
        return DiscoveredSchema(classes, {"script": self.settings.label(self.connection.argv(Operation.SCHEMA) or [])})

    async def search(self, object_type: str, query: SearchQuery) -> SearchResult:
        anchor = self._spec(object_type).anchor.attribute
        if self.connection.filtering is Filtering.HOST:
            answer = await self._call(Operation.SEARCH, object_type, protocol.search_fields(None))
            records = [self._typed(object_type, r) for r in _records(answer)]
            return search_records(records, query, anchor)
        answer = await self._call(Operation.SEARCH, object_type, protocol.search_fields(query))
        records = [project(self._typed(object_type, r), query.attributes, anchor) for r in _records(answer)]
        total = answer.get("total", len(records))
        if not isinstance(total, int) or isinstance(total, bool):
            raise TargetUnavailable("the script's search answer has no integer `total`")
        return SearchResult(total=total, records=records)

    async def get(self, object_type: str, anchor: str, attributes: frozenset[str] | None = None) -> Record:
        spec = self._spec(object_type)
        if Operation.GET not in self.connection.operations and self.connection.command is None:
            query = SearchQuery(filter=Compare(spec.anchor.attribute, Op.EQ, anchor), attributes=attributes, limit=1)
            found = await self.search(object_type, query)
            if not found.records:
                raise ObjectNotFound(f"{object_type} {anchor} not found")
            return found.records[0]
        fields = {"anchor": anchor, "attributes": None if attributes is None else sorted(attributes)}
        answer = await self._call(Operation.GET, object_type, fields)
        record = answer.get("record")
        if not isinstance(record, dict):
            raise ObjectNotFound(f"{object_type} {anchor} not found")
        return project(self._typed(object_type, record), attributes, spec.anchor.attribute)

    async def create(self, object_type: str, record: Record) -> Record:
        spec = self._spec(object_type)
        values, password = self._split_password(record)
        check_required(spec, {**values, spec.anchor.attribute: "-"})
        answer = await self._call(Operation.CREATE, object_type, {"record": values})
        stored = answer.get("record")
        if not isinstance(stored, dict) or stored.get(spec.anchor.attribute) in (None, ""):
            raise TargetUnavailable(f"the script's create answer has no record with its {spec.anchor.attribute}")
        if password is not None:
            await self._set_password(object_type, str(stored[spec.anchor.attribute]), password)
        wanted = None if MEMBERS not in record else frozenset([*spec.attributes, MEMBERS])
        return project(self._typed(object_type, stored), wanted, spec.anchor.attribute)

    async def update(self, object_type: str, anchor: str, change: Change) -> None:
        spec = self._spec(object_type)
        values, password = self._split_password(change.set)
        cleared = [name for name, value in values.items() if value is None and spec.attributes.get(name)]
        for name in cleared:
            if spec.attributes[name].required:
                raise ConstraintViolation(f"{name} is required: send it", attribute=name, problem=Problem.REQUIRED)
        rest = Change(values, change.replace, change.add_members, change.remove_members, change.clear_members)
        if rest or password is None:
            await self._call(Operation.UPDATE, object_type, {"anchor": anchor, "change": protocol.change_fields(rest)})
        if password is not None:
            await self._set_password(object_type, anchor, password)

    async def delete(self, object_type: str, anchor: str) -> None:
        await self._call(Operation.DELETE, object_type, {"anchor": anchor})

    # -- internals ---------------------------------------------------------------------------------------
    def _spec(self, object_type: str) -> Any:
        spec = self.config.object_types.get(object_type)  # type: ignore[call-overload]
        if spec is None:
            raise ConfigurationError(f"object type {object_type!r} is not configured for connector {self.name!r}")
        return spec

    async def _call(self, operation: Operation, object_type: str | None, fields: dict[str, Any]) -> dict[str, Any]:
        document: dict[str, Any] = {"operation": operation.value, "connector": self.name, **fields}
        if object_type is not None:
            spec = self._spec(object_type)
            document["object_type"] = object_type
            document["definition"] = protocol.definition(object_type, spec, self.has_members(object_type))
        request = protocol.encode(document)
        if self._pool is not None:
            return await self._pool.ask(request)
        argv = self.connection.argv(operation)
        if argv is None:
            raise ConfigurationError(f"no program for the {operation.value} operation: set `command` or `operations`")
        return await run_once(self.settings, argv, request)

    async def _set_password(self, object_type: str, anchor: str, password: Any) -> None:
        if self.connection.argv(Operation.SET_PASSWORD) is None and self._pool is None:
            raise ConfigurationError("no program for set_password: add it under `operations`")
        await self._call(Operation.SET_PASSWORD, object_type, {"anchor": anchor, "password": str(password)})

    def _split_password(self, values: Record) -> tuple[Record, Any]:
        name = self.connection.password_attribute
        if name is None or name not in values:
            return dict(values), None
        rest = {k: v for k, v in values.items() if k != name}
        return rest, values[name]

    def _typed(self, object_type: str, record: dict[str, Any]) -> Record:
        spec = self._spec(object_type)
        typed: Record = {}
        for name, value in record.items():
            attribute = spec.attributes.get(name)
            typed[name] = value if attribute is None else coerce(value, attribute.type, name)
        return typed


def _records(answer: dict[str, Any]) -> list[dict[str, Any]]:
    records = answer.get("records")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise TargetUnavailable("the script's search answer has no `records` list of objects")
    return records
