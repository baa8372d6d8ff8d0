"""The `Connector` contract: what every connector type implements.

A connector speaks to one target (a database, a directory, ...) for one configured connector. It receives
target-level requests (`connectors.query`) and returns target-level records; it never sees SCIM JSON.

The contract, checked for every connector type by `ecmahost.testing` (`ConnectorContract`, public through
`ecmahost.kit`):

- Methods are coroutines; blocking libraries run in a worker thread (`anyio.to_thread.run_sync`).
- `search` filters, sorts and pages inside the target, so `SearchResult.total` is exact and paging stable. A
  filter it cannot express raises `ConfigurationError`, never "match everything".
- `get`/`update`/`delete` of an unknown anchor raise `ObjectNotFound`.
- `create` returns the record as stored, including the anchor (generated when configured so); `update` returns
  either None or the record as `get` would return it right after.
- `create`/`update` write the object, its complex multi-valued attributes and its membership changes in one
  transaction: all or nothing. A unique value already taken raises `ObjectExists`; a value the target rejects
  raises `ConstraintViolation` with the target's message.
- Membership changes are set operations: adding a present member or removing an absent one is a no-op.
- A target that is down or slow raises `TargetUnavailable`; the connector heals by itself when the target
  comes back (pool pre-ping, reconnect), without a host restart.
- Returned records are fresh objects the caller may mutate.
- `verify` compares the connector file with the target (tables, columns, keys, object classes, files) and returns
  every `TargetProblem`; the host serves no object type with a problem (its URL answers 503 naming it).
- `clear_rules(object_type)` names the selected attributes a replace must leave alone when it omits them (the
  target generates them or holds a default) and those it cannot clear (NOT NULL without default, LDAP MUST);
  worked out once per object type, never per request.

Settings: a type declares `connection_model` (a `ConnectionSettings` model) and `object_type_model` (a
`TargetSettings` model); the loader validates the file against them, and this base class hands each connector its
typed settings once, as `self.connection` and `self.targets[object_type]` (validating them here only when a
config was built by hand, with plain data or none).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ValidationError

from ecmahost.config.model import AttributeType, ConnectionSettings, ConnectorConfig, TargetSettings
from ecmahost.connectors.errors import ConfigurationError
from ecmahost.connectors.query import Change, Record, SearchQuery, SearchResult


@dataclass(slots=True)
class DiscoveredAttribute:
    name: str
    type: AttributeType = AttributeType.STRING
    multi_valued: bool = False
    required: bool = False
    unique: bool = False
    primary_key: bool = False
    generated: bool = False
    """the target fills it by itself (identity column, column default, operational attribute)"""
    detail: str = ""
    """the target's own type, e.g. `VARCHAR(128)` or `1.3.6.1.4.1.1466.115.121.1.15`"""
    references: str | None = None
    """`table.column` a single-column foreign key of it points at (SQL), e.g. `Teams.TeamId`"""
    max_length: int | None = None
    """the most characters a string column holds (`VARCHAR(36)`: 36); None when unbounded or unknown"""
    read_only: bool = False
    """the target refuses a written value (a computed column, an identity `GENERATED ALWAYS`)"""


@dataclass(frozen=True, slots=True)
class ClearRules:
    """Which selected attributes of an object type a full replace (SCIM PUT) may not clear when the body omits
    them. Everything else the mapping makes writable can be cleared (set to None)."""

    keep: frozenset[str] = frozenset()
    """left alone when absent: the target fills them by itself (identity, computed, operational attributes) or
    holds a default for them (a NOT NULL column with a server default, an LDAP `create_defaults` template)"""
    required: frozenset[str] = frozenset()
    """cannot be cleared and have no default (NOT NULL without default, an LDAP MUST attribute): absent means the
    request is incomplete"""


NO_CLEAR_RULES = ClearRules()


@dataclass(slots=True)
class DiscoveredObjectClass:
    name: str
    kind: str
    """`table`, `view`, `structural`, `auxiliary`, ..."""
    attributes: list[DiscoveredAttribute] = field(default_factory=list)


@dataclass(slots=True)
class DiscoveredSchema:
    object_classes: list[DiscoveredObjectClass] = field(default_factory=list)
    detail: dict[str, str] = field(default_factory=dict)
    """facts about the target to show an admin: vendor, version, naming contexts..."""


@dataclass(frozen=True, slots=True)
class TargetProblem:
    """Something the connector file names that the target lacks or cannot do, found by `Connector.verify`.

    `where` is the dotted key of the connector file (`object_types.Group.members.group_key`), `problem` what is
    wrong there, `fix` what to write instead. `object_type` is the object type it breaks; None: the whole
    connector (its connection, a file every object type shares)."""

    where: str
    problem: str
    fix: str = ""
    object_type: str | None = None

    def render(self) -> str:
        return f"{self.where}: {self.problem}" + (f"; {self.fix}" if self.fix else "")


class Connector(ABC):
    type_name: ClassVar[str]
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    connection_model: ClassVar[type[ConnectionSettings]] = ConnectionSettings
    """the file's `connection:` block; the base takes no key"""
    object_type_model: ClassVar[type[TargetSettings]] = TargetSettings
    """this type's own keys in each object type; the base takes none"""

    def __init__(self, config: ConnectorConfig, *, home: Path) -> None:
        self.config = config
        self.home = home
        self.connection: ConnectionSettings = _typed(
            self.connection_model, config.connection, config.name, "connection"
        )
        """`config.connection` as this type's `connection_model`"""
        self.targets: dict[str, TargetSettings] = {
            name: _typed(self.object_type_model, spec.target, config.name, f"object_types.{name}")
            for name, spec in config.object_types.items()
        }
        """each object type's `target` as this type's `object_type_model`"""

    @property
    def name(self) -> str:
        return self.config.name

    async def open(self) -> None:  # noqa: B027 - optional hook
        """Prepare pools; must not fail when the target is down (requests will get `TargetUnavailable`)."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release pools and connections."""

    @abstractmethod
    async def check(self) -> None:
        """Reach the target and read from it once; raise a `ConnectorError` that says what failed."""

    @abstractmethod
    async def discover(self) -> DiscoveredSchema:
        """List what the target holds: tables/views or object classes, their attributes and keys."""

    async def verify(self) -> list[TargetProblem]:
        """Compare the connector file with the target and return every problem found (none: it can serve). Raise
        `TargetUnavailable` when the target cannot be reached, so the caller knows nothing was checked. The
        default checks nothing."""
        return []

    def has_members(self, object_type: str) -> bool:
        """Whether this object type stores group membership (`MEMBERS`)."""
        return False

    def timestamps(self, object_type: str) -> frozenset[str]:
        """The reserved `meta` keys (`query.META_CREATED`, `query.META_MODIFIED`) this object type stores, which
        `search` must then filter and sort on like any attribute; known from the configuration, without I/O."""
        return frozenset()

    async def clear_rules(self, object_type: str) -> ClearRules:
        """Which selected attributes a PUT that omits them must leave alone or cannot clear (see `ClearRules`).
        Connectors whose target has no such constraints keep this default (nothing); one that learns them from
        the target works them out on the first call and keeps them."""
        return NO_CLEAR_RULES

    @abstractmethod
    async def search(self, object_type: str, query: SearchQuery) -> SearchResult: ...

    @abstractmethod
    async def get(self, object_type: str, anchor: str, attributes: frozenset[str] | None = None) -> Record: ...

    @abstractmethod
    async def create(self, object_type: str, record: Record) -> Record: ...

    @abstractmethod
    async def update(self, object_type: str, anchor: str, change: Change) -> Record | None:
        """Apply `change`. May return the record as stored afterwards (every attribute `get` returns with
        `attributes=None`) when the target gives it for free; None makes the host read it when it needs it."""

    @abstractmethod
    async def delete(self, object_type: str, anchor: str) -> None: ...


S = TypeVar("S", bound=BaseModel)


def _typed(model: type[S], value: Any, connector: str, where: str) -> S:
    """`value` as `model`: as it is when the loader validated it already, else validated now (a config built by
    hand holds plain data or nothing); invalid settings are a `ConfigurationError` naming the key."""
    if isinstance(value, model):
        return value
    data = value.model_dump(by_alias=True) if isinstance(value, BaseModel) else value
    try:
        return model.model_validate(dict(data) if isinstance(data, Mapping) else data if data is not None else {})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        key = ".".join(str(part) for part in (where, *first["loc"]))
        raise ConfigurationError(f"connector {connector!r}: {key}: {first['msg']}") from None
