"""One connector's provisioning service: each SCIM verb as a short chain of SCIM rules and connector calls.

It takes parsed request data (object type, id, JSON body, query parameters) and returns JSON-ready dicts or
raises `ScimError`s; it knows neither HTTP nor the target's protocol. Connector errors are translated here
(`target_errors`), and every connector call runs under the connector's time budget, so a target that hangs
answers `503` + `Retry-After` instead of holding the client past Entra's 60 seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ecmahost import errors
from ecmahost.config.model import ConnectorConfig, DeprovisionKind
from ecmahost.connectors import errors as target
from ecmahost.connectors.base import Connector
from ecmahost.connectors.query import MEMBERS, Change, Record, SearchQuery, Sort
from ecmahost.deadlines import BudgetedCall
from ecmahost.scim import discovery
from ecmahost.scim import replace as replace_rules
from ecmahost.scim.filter_map import FilterTranslator, sort_key
from ecmahost.scim.filter_parser import parse_attr_path
from ecmahost.scim.listing import ListParams, names, parse_list_params
from ecmahost.scim.mapping import ObjectMapping
from ecmahost.scim.openapi import openapi_document
from ecmahost.scim.patch import NeedCurrent, PatchPlanner, member_ids, parse_operations
from ecmahost.scim.projection import asks_for, returns_of
from ecmahost.scim.resources import TwoValues, check_schemas, ci_get, extract, project, render, require
from ecmahost.scim.target_errors import scim_error

logger = logging.getLogger(__name__)

MAX_ID_LENGTH = 1024
"""Longer ids (and ids with NUL) cannot be anchors of any target: answered 404 without asking the target."""

ABSENT_BY_DEFAULT = frozenset({"placeholder"})
"""Entra's on-premises ECMA template maps userPrincipalName to `PLACEHOLDER` until an admin edits it, and its
test connection queries `PLACEHOLDER eq "<guid>"`: it must get an empty list, not an error."""


class TargetCall(BudgetedCall):
    """One connector call under `limits.target_timeout_seconds`, its errors raised as SCIM errors (a class rather
    than an `@asynccontextmanager` generator: every request passes through one)."""

    __slots__ = ("_anchor", "_mapping", "_object_type")

    def __init__(
        self, seconds: float, object_type: str, anchor: str | None, mapping: ObjectMapping | None = None
    ) -> None:
        super().__init__(seconds)
        self._object_type = object_type
        self._anchor = anchor
        self._mapping = mapping

    def translate(self, exc: BaseException) -> errors.ScimError | None:
        if isinstance(exc, target.ObjectNotFound):
            return errors.NotFound(f"{self._object_type} {self._anchor} not found")
        if isinstance(exc, target.ObjectExists | target.ConstraintViolation):
            return scim_error(exc, self._mapping)
        if isinstance(exc, target.TargetUnavailable):
            return errors.TargetUnavailable(exc.detail, retry_after=exc.retry_after)
        if isinstance(exc, target.TargetMismatch):  # an object type whose file does not match its target
            return errors.TargetUnavailable(exc.detail, retry_after=60)
        if isinstance(exc, TimeoutError):
            return errors.TargetUnavailable(f"the target did not answer within {self.seconds:g} s", retry_after=30)
        return None


class ProvisioningService:
    def __init__(self, config: ConnectorConfig, connector: Connector) -> None:
        self.config = config
        self.connector = connector
        self.limits = config.limits
        self.mappings = {
            name: ObjectMapping(
                name,
                object_type,
                has_members=connector.has_members(name),
                views=config.views,
                timestamps=connector.timestamps(name),
            )
            for name, object_type in config.object_types.items()
        }
        self.translators = {name: FilterTranslator(m, ABSENT_BY_DEFAULT) for name, m in self.mappings.items()}
        self._documents: dict[str, dict[str, Any]] = {}
        self._openapi: dict[str, Any] | None = None

    def mapping(self, object_type: str) -> ObjectMapping:
        try:
            return self.mappings[object_type]
        except KeyError:
            raise errors.NotFound(
                f"connector {self.config.name} has no {object_type} object type; it serves "
                f"{', '.join(f'/{t}s' for t in self.mappings)}"
            ) from None

    def target_errors(self, object_type: str, anchor: str | None = None) -> TargetCall:
        """`async with` around one connector call: its time budget, and its errors as SCIM errors."""
        if anchor is not None and (len(anchor) > MAX_ID_LENGTH or "\x00" in anchor):
            raise errors.NotFound(f"{object_type} {anchor[:64]!r} not found")
        return TargetCall(self.limits.target_timeout_seconds, object_type, anchor, self.mappings.get(object_type))

    # -- reads ---------------------------------------------------------------------------------------------------

    def _wanted(
        self, mapping: ObjectMapping, attributes: tuple[str, ...], excluded: tuple[str, ...]
    ) -> frozenset[str] | None:
        if not mapping.has_members:
            return None
        base = frozenset(mapping.fields)
        return base | {MEMBERS} if asks_for("members", attributes, excluded) else base

    async def search(self, object_type: str, params: Mapping[str, str], base_url: str) -> dict[str, Any]:
        mapping = self.mapping(object_type)
        limits = self.limits
        listing = parse_list_params(
            params,
            default_count=limits.default_page_size,
            max_count=limits.max_page_size,
            max_filter_length=limits.max_filter_length,
        )
        query = self._query(object_type, mapping, listing)
        async with self.target_errors(object_type):
            result = await self.connector.search(object_type, query)
        returns = returns_of(mapping)
        resources = [
            project(render(mapping, r, base_url=base_url), listing.attributes, listing.excluded, returns)
            for r in result.records
        ]
        return discovery.list_response(resources, result.total, listing.start_index)

    def _query(self, object_type: str, mapping: ObjectMapping, listing: ListParams) -> SearchQuery:
        sort = None
        if listing.sort_by:
            sort = Sort(sort_key(mapping, parse_attr_path(listing.sort_by), listing.sort_by), listing.descending)
        return SearchQuery(
            filter=self.translators[object_type].translate(listing.filter) if listing.filter else None,
            attributes=self._wanted(mapping, listing.attributes, listing.excluded),
            offset=listing.start_index - 1,
            limit=listing.count,
            sort=sort,
        )

    async def get(self, object_type: str, anchor: str, params: Mapping[str, str], base_url: str) -> dict[str, Any]:
        mapping = self.mapping(object_type)
        attributes, excluded = names(params.get("attributes")), names(params.get("excludedAttributes"))
        record = await self._read(object_type, anchor, self._wanted(mapping, attributes, excluded))
        return project(render(mapping, record, base_url=base_url), attributes, excluded, returns_of(mapping))

    async def _written(self, object_type: str, anchor: str, base_url: str) -> dict[str, Any]:
        """The whole resource after a write, as GET reads it; the HTTP layer projects it for the response."""
        mapping = self.mapping(object_type)
        record = await self._read(object_type, anchor, self._wanted(mapping, (), ()))
        return render(mapping, record, base_url=base_url)

    async def _read(self, object_type: str, anchor: str, attributes: frozenset[str] | None = None) -> Record:
        async with self.target_errors(object_type, anchor):
            return await self.connector.get(object_type, anchor, attributes)

    # -- writes --------------------------------------------------------------------------------------------------

    async def create(self, object_type: str, body: Any, base_url: str) -> dict[str, Any]:
        mapping = self.mapping(object_type)
        record = extract(mapping, check_schemas(mapping, body))
        require(mapping, record)
        members = self._initial_members(mapping, body)
        if members:
            record[MEMBERS] = members  # written in the create's own transaction: a bad member leaves no group
        async with self.target_errors(object_type):
            stored = await self.connector.create(object_type, record)
        if mapping.has_members:
            stored.setdefault(MEMBERS, members)
        return render(mapping, stored, base_url=base_url)

    def _initial_members(self, mapping: ObjectMapping, body: dict[str, Any]) -> list[str]:
        if not mapping.has_members:
            return []
        value = ci_get(body, "members")
        ids = member_ids(value, "members") if value else []
        if len(ids) > self.limits.max_members_per_patch:
            raise errors.TooMany(f"at most {self.limits.max_members_per_patch} members per request")
        return ids

    async def replace(
        self, object_type: str, anchor: str, body: Any, base_url: str, if_match: str | None
    ) -> dict[str, Any]:
        """PUT, by the rule of `scim.replace` (absent attributes cleared where the body's views and the target
        allow, id/anchor/immutable changes refused): attributes, child rows and members are written in one
        connector update, so a PUT that fails changes nothing."""
        mapping = self.mapping(object_type)
        check_schemas(mapping, body)
        async with self.target_errors(object_type, anchor):
            rules = await self.connector.clear_rules(object_type)
        current: Record | None = None
        try:
            replacement = replace_rules.plan(mapping, body, anchor, rules)
        except TwoValues:  # a resource as GET showed it (both views) with one path changed: the stored one tells
            current = await self._read(object_type, anchor, self._wanted(mapping, (), ()))
            replacement = replace_rules.plan(mapping, body, anchor, rules, current)
        change = replacement.change
        if replacement.replaces_members:
            change.clear_members, change.add_members = True, self._initial_members(mapping, body)
        if if_match or replacement.immutable:
            if current is None:
                wanted = self._wanted(mapping, (), ()) if if_match else None  # GET's view: its version has members
                current = await self._read(object_type, anchor, wanted)
            self._check_version(mapping, current, if_match, base_url)
            replace_rules.check_immutable(mapping, replacement, current)
        async with self.target_errors(object_type, anchor):
            if change:
                await self.connector.update(object_type, anchor, change)
            else:
                await self.connector.get(object_type, anchor, frozenset({mapping.anchor}))
        return await self._written(object_type, anchor, base_url)

    async def patch(
        self, object_type: str, anchor: str, body: Any, base_url: str, if_match: str | None
    ) -> dict[str, Any] | None:
        """Apply a PATCH; returns the resource for Users, None (204) for Groups as Entra expects."""
        mapping = self.mapping(object_type)
        operations = parse_operations(body)
        # With If-Match, read what GET shows (a group's members too): the version compared is the ETag GET gave.
        current = await self._read(object_type, anchor, self._wanted(mapping, (), ())) if if_match else None
        self._check_version(mapping, current, if_match, base_url)
        try:
            plan = PatchPlanner(mapping, anchor, current).run(operations)
        except NeedCurrent:
            current = await self._read(object_type, anchor)
            plan = PatchPlanner(mapping, anchor, current).run(operations)
        if plan.member_count() > self.limits.max_members_per_patch:
            raise errors.TooMany(f"at most {self.limits.max_members_per_patch} members per PATCH; split the request")
        if plan.active is False and mapping.disable_action().kind is DeprovisionKind.DELETE:
            await self._delete_object(object_type, anchor)
            return None
        change = plan.to_change(mapping)
        stored = None
        async with self.target_errors(object_type, anchor):
            if change:
                stored = await self.connector.update(object_type, anchor, change)
            elif current is None:
                await self.connector.get(object_type, anchor, frozenset({mapping.anchor}))
        if object_type == "Group":
            return None
        if stored is not None and not mapping.has_members:  # the connector read it back with the write
            return render(mapping, stored, base_url=base_url)
        return await self._written(object_type, anchor, base_url)

    async def delete(self, object_type: str, anchor: str, if_match: str | None, base_url: str) -> None:
        mapping = self.mapping(object_type)
        if if_match:
            current = await self._read(object_type, anchor, self._wanted(mapping, (), ()))
            self._check_version(mapping, current, if_match, base_url)
        action = mapping.delete_action()
        if action.kind is DeprovisionKind.DELETE:
            await self._delete_object(object_type, anchor)
        elif action.kind is DeprovisionKind.SET:
            async with self.target_errors(object_type, anchor):
                await self.connector.update(object_type, anchor, Change(set=dict(action.values)))
        else:
            await self._read(object_type, anchor, frozenset({mapping.anchor}))

    async def _delete_object(self, object_type: str, anchor: str) -> None:
        async with self.target_errors(object_type, anchor):
            await self.connector.delete(object_type, anchor)

    def _check_version(
        self, mapping: ObjectMapping, current: Record | None, if_match: str | None, base_url: str
    ) -> None:
        if not if_match or if_match.strip() == "*" or current is None:
            return
        version = render(mapping, current, base_url=base_url)["meta"]["version"]
        wanted = [v.strip() for v in if_match.split(",")]
        if version not in wanted and version.removeprefix("W/") not in wanted:
            raise errors.PreconditionFailed(f"If-Match {if_match} does not match the current version {version}")

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI description of this connector's endpoint (built once)."""
        if self._openapi is None:
            self._openapi = openapi_document(self.mappings, self.limits, self.config.name)
        return self._openapi

    # -- discovery -----------------------------------------------------------------------------------------------

    async def discovery(self, base_url: str) -> dict[str, Any]:
        """`/Schemas`, `/ResourceTypes` and `/ServiceProviderConfig` for `base_url`, built once and kept."""
        cached = self._documents.get(base_url)
        if cached is None:
            required, complete = await self._target_required()
            schemas = [
                d for n, m in self.mappings.items() for d in discovery.schema_documents(m, base_url, required[n])
            ]
            types = [discovery.resource_type_document(m, base_url) for m in self.mappings.values()]
            cached = {
                "schemas": {d["id"].lower(): d for d in schemas},
                "resource_types": {d["id"].lower(): d for d in types},
                "spc": discovery.service_provider_config(
                    self.limits, base_url, change_password=discovery.changes_password(self.mappings.values())
                ),
            }
            if complete and len(self._documents) < 16:
                self._documents[base_url] = cached
        return cached

    async def _target_required(self) -> tuple[dict[str, frozenset[str]], bool]:
        """The selected attributes each object type's target requires on create (`ClearRules.required`: NOT NULL
        without default, LDAP MUST), which `/Schemas` describes as required; and False when a target could not tell
        (down, or its file does not match it): the documents then say what the file says and are not kept."""
        found: dict[str, frozenset[str]] = {}
        complete = True
        for name in self.mappings:
            try:
                async with self.target_errors(name):
                    found[name] = (await self.connector.clear_rules(name)).required
            except errors.ScimError:
                found[name], complete = frozenset(), False
        return found, complete
