"""`RestConnector` (`type: rest`, the role of the ECMA host's web services connector): a JSON REST API,
configured, not coded (see `models` and docs/rest-connector.md).

Search reads the collection page by page (up to `paging.max_objects`) and filters, sorts and pages in memory
(`connectors.kit`): exact, but it reads the whole collection, so it suits APIs of up to some tens of thousands of
objects. Create sends the body built from the mapped attributes and reads the stored object (and its id) from the
answer; update reads the object, applies the change and sends the whole object (`PUT`) or only what changed
(`PATCH`), members included, in one request. Required attributes are checked before sending; uniqueness and
referential rules are the API's (its 409 becomes `ObjectExists`). HTTP is `client`'s job.
"""

from __future__ import annotations

import copy
import uuid
from pathlib import Path
from typing import Any

from ecmahost.config.model import AnchorGeneration, ConnectorConfig, ObjectTypeConfig
from ecmahost.connectors.base import (
    Connector,
    DiscoveredAttribute,
    DiscoveredObjectClass,
    DiscoveredSchema,
    TargetProblem,
)
from ecmahost.connectors.errors import ConfigurationError, ConnectorError, ConstraintViolation, TargetUnavailable
from ecmahost.connectors.kit import apply_change, check_required, project, search_records
from ecmahost.connectors.kit.records import coerce
from ecmahost.connectors.query import MEMBERS, Change, Record, SearchQuery, SearchResult
from ecmahost.connectors.rest.client import Budget, RestClient
from ecmahost.connectors.rest.models import Method, PagingStyle, RestConnection, RestObjectType
from ecmahost.connectors.rest.pointers import assign, fill, resolve
from ecmahost.connectors.verify import anchor_problems

_META_KEYS = frozenset({"__meta_created__", "__meta_modified__"})


class _Mapped:
    """One object type: item JSON <-> record."""

    def __init__(self, name: str, spec: ObjectTypeConfig, target: RestObjectType) -> None:
        self.name, self.spec, self.target = name, spec, target
        self.anchor = spec.anchor.attribute
        self.pointers = {attr: target.fields.get(attr, "/" + attr) for attr in spec.attributes}
        self.pointers[self.anchor] = target.id

    def to_record(self, item: Any) -> Record:
        if not isinstance(item, dict):
            raise TargetUnavailable(f"the API answered a {type(item).__name__} where a {self.name} object belongs")
        record: Record = {}
        for attr, pointer in self.pointers.items():
            value = resolve(item, pointer)
            record[attr] = coerce(value, self.spec.attributes[attr].type, attr) if value is not None else None
        if record.get(self.anchor) is not None:
            record[self.anchor] = str(record[self.anchor])
        if self.target.members:
            record[MEMBERS] = [str(m) for m in resolve(item, self.target.members) or []]
        return record

    def to_body(self, record: Record, base: dict[str, Any] | None = None) -> dict[str, Any]:
        body = copy.deepcopy(base) if base is not None else {}
        for attr, pointer in self.pointers.items():
            if attr in record:
                assign(body, pointer, _json_value(record[attr]))
        if self.target.members and MEMBERS in record:
            assign(body, self.target.members, list(record[MEMBERS]))
        return body

    def url(self, template: str, anchor: str | None = None) -> str:
        return template.replace("{id}", anchor or "")


class RestConnector(Connector):
    type_name = "rest"
    version = "1.0"
    description = "A JSON REST API, configured per operation (method, URL, body, JSON pointers, paging)"
    connection_model = RestConnection
    object_type_model = RestObjectType
    connection: RestConnection
    targets: dict[str, RestObjectType]

    def __init__(self, config: ConnectorConfig, *, home: Path) -> None:
        super().__init__(config, home=home)
        self.client = RestClient(self.connection, home)
        self._types = {name: _Mapped(name, spec, self.targets[name]) for name, spec in config.object_types.items()}

    async def close(self) -> None:
        await self.client.close()

    def has_members(self, object_type: str) -> bool:
        mapped = self._types.get(object_type)
        return mapped is not None and mapped.target.members is not None

    async def check(self) -> None:
        for mapped in self._types.values():
            operation = mapped.target.operation("list")
            await self.client.request(operation.method, mapped.url(operation.url), self._budget())

    async def verify(self) -> list[TargetProblem]:
        """Each object type's collection answers a list request (the first page; nothing is written)."""
        problems = []
        for name, mapped in self._types.items():
            problems += anchor_problems(self.config, name, self.config.object_types[name])
            try:
                await self._page(mapped, self._budget(), mapped.target.paging.first_page, 0)
            except TargetUnavailable:
                raise
            except ConnectorError as exc:
                problems.append(
                    TargetProblem(
                        f"object_types.{name}.collection",
                        f"listing {mapped.target.collection} failed: {exc.detail}",
                        "correct the collection path (relative to `connection.base_url`) or the API's permissions",
                        name,
                    )
                )
        return problems

    async def discover(self) -> DiscoveredSchema:
        classes = []
        for mapped in self._types.values():
            page = await self._page(mapped, self._budget(), mapped.target.paging.first_page, 0)
            names = sorted({key for item in page[:20] if isinstance(item, dict) for key in item})
            classes.append(
                DiscoveredObjectClass(mapped.target.collection, "collection", [DiscoveredAttribute(n) for n in names])
            )
        return DiscoveredSchema(classes, {"base_url": self.connection.base_url})

    async def search(self, object_type: str, query: SearchQuery) -> SearchResult:
        mapped = self._mapped(object_type)
        items = await self._all_items(mapped, self._budget())
        return search_records([mapped.to_record(item) for item in items], query, mapped.anchor)

    async def get(self, object_type: str, anchor: str, attributes: frozenset[str] | None = None) -> Record:
        mapped = self._mapped(object_type)
        item = await self._get_item(mapped, anchor, self._budget())
        return project(mapped.to_record(item), attributes, mapped.anchor)

    async def create(self, object_type: str, record: Record) -> Record:
        mapped = self._mapped(object_type)
        values = {k: v for k, v in record.items() if k not in _META_KEYS}
        if values.get(mapped.anchor) in (None, "") and mapped.spec.anchor.generate is AnchorGeneration.UUID:
            values[mapped.anchor] = str(uuid.uuid4())
        check_required(mapped.spec, {mapped.anchor: "-", **values})
        operation = mapped.target.operation("create")
        body = fill(operation.body, values) if operation.body is not None else mapped.to_body(values)
        response = await self.client.request(operation.method, mapped.url(operation.url), self._budget(), json=body)
        stored = mapped.to_record(_json(response))
        if stored.get(mapped.anchor) in (None, ""):
            raise TargetUnavailable(f"the API's create answer has no id at {mapped.target.id!r}")
        wanted = None if MEMBERS not in record else frozenset([*mapped.spec.attributes, MEMBERS])
        return project(stored, wanted, mapped.anchor)

    async def update(self, object_type: str, anchor: str, change: Change) -> None:
        mapped = self._mapped(object_type)
        if (change.add_members or change.clear_members) and mapped.target.members is None:
            raise ConfigurationError(f"{object_type} has no `members` pointer; set one to store members")
        budget = self._budget()
        item = await self._get_item(mapped, anchor, budget)
        current = mapped.to_record(item)
        updated = apply_change(current, change)
        if updated.get(mapped.anchor) != current.get(mapped.anchor):
            raise ConstraintViolation(f"{mapped.anchor} is the anchor and cannot change")
        check_required(mapped.spec, updated)
        operation = mapped.target.operation("update")
        if operation.body is not None:
            body = fill(operation.body, updated)
        elif operation.method is Method.PATCH:
            changed = {k: v for k, v in updated.items() if current.get(k) != v}
            changed.update({k: None for k in current if k not in updated})
            body = mapped.to_body(changed)
        else:
            body = mapped.to_body({**{k: None for k in current}, **updated}, base=item)
        await self.client.request(operation.method, mapped.url(operation.url, anchor), budget, json=body)

    async def delete(self, object_type: str, anchor: str) -> None:
        mapped = self._mapped(object_type)
        operation = mapped.target.operation("delete")
        await self.client.request(operation.method, mapped.url(operation.url, anchor), self._budget())

    # -- internals ---------------------------------------------------------------------------------------
    def _budget(self) -> Budget:
        return Budget(self.connection.timeout_seconds)

    def _mapped(self, object_type: str) -> _Mapped:
        try:
            return self._types[object_type]
        except KeyError:
            raise ConfigurationError(
                f"object type {object_type!r} is not configured for connector {self.name!r}"
            ) from None

    async def _get_item(self, mapped: _Mapped, anchor: str, budget: Budget) -> Any:
        operation = mapped.target.operation("get")
        response = await self.client.request(operation.method, mapped.url(operation.url, anchor), budget)
        return _json(response)

    async def _all_items(self, mapped: _Mapped, budget: Budget) -> list[Any]:
        paging = mapped.target.paging
        items: list[Any] = []
        page, url = paging.first_page, None
        while len(items) < paging.max_objects:
            batch, url = await self._page_with_next(mapped, budget, page, len(items), url)
            items.extend(batch)
            if paging.style is PagingStyle.NONE or not batch:
                break
            if paging.style is PagingStyle.LINK and url is None:
                break
            if paging.style is not PagingStyle.LINK and len(batch) < paging.size:
                break
            page += 1
        return items[: paging.max_objects]

    async def _page(self, mapped: _Mapped, budget: Budget, page: int, offset: int) -> list[Any]:
        return (await self._page_with_next(mapped, budget, page, offset, None))[0]

    async def _page_with_next(
        self, mapped: _Mapped, budget: Budget, page: int, offset: int, next_url: str | None
    ) -> tuple[list[Any], str | None]:
        paging, operation = mapped.target.paging, mapped.target.operation("list")
        params: dict[str, Any] = {}
        if paging.style is PagingStyle.PAGE or (paging.style is PagingStyle.LINK and next_url is None):
            params = {paging.page_param: page, paging.size_param: paging.size}
        elif paging.style is PagingStyle.OFFSET:
            params = {paging.offset_param: offset, paging.size_param: paging.size}
        url = next_url or mapped.url(operation.url)
        response = await self.client.request(operation.method, url, budget, params=params or None)
        batch = resolve(_json(response), mapped.target.items)
        if not isinstance(batch, list):
            raise TargetUnavailable(f"the API's list answer has no array at {mapped.target.items or 'its root'!r}")
        following = response.links.get("next", {}).get("url") if paging.style is PagingStyle.LINK else None
        return batch, following


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise TargetUnavailable("the API answered something that is not JSON") from exc


def _json_value(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
