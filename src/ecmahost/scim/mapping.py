"""The compiled mapping of one object type: SCIM attribute paths <-> target attribute names.

Built once per connector at start-up from its `ObjectTypeConfig`, so a request only does dictionary look-ups.
Every selected target attribute is reachable two ways: under the ECMA2Host extension schema by its own name (what
Entra's on-premises ECMA template maps to) and, when `scim:` says so, at a core or enterprise path (what Entra's
SCIM app, Okta and scripts send). This module knows paths and fields; it does not read requests or call
connectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ecmahost.config.model import (
    AttributeConfig,
    AttributeType,
    DeprovisionAction,
    Mutability,
    ObjectTypeConfig,
    Returned,
)
from ecmahost.errors import InvalidPath, InvalidValue
from ecmahost.scim import urns
from ecmahost.scim.filter_ast import And, AttrPath, Compare, CompareOp, Filter, PatchPath
from ecmahost.scim.filter_parser import parse_path
from ecmahost.scim.values import from_scim

ACTIVE = "active"
ID = "id"
EXTERNAL_ID = "externalid"


class MappingError(ValueError):
    """The connector file maps something the host cannot serve; raised at start-up, never per request."""


def norm(path: AttrPath, core_urn: str) -> str:
    """The case-insensitive key of a path without value filter: `name.givenname`, `urn:...:user:employeenumber`."""
    urn = path.urn.lower() if path.urn and path.urn.lower() != core_urn.lower() else None
    text = f"{urn}:{path.attr.lower()}" if urn else path.attr.lower()
    return f"{text}.{path.sub.lower()}" if path.sub else text


@dataclass(frozen=True, slots=True)
class Field:
    """One selected target attribute and where SCIM sees it."""

    name: str
    config: AttributeConfig
    core: PatchPath | None
    """the parsed `scim:` mapping, if any"""

    @property
    def type(self) -> AttributeType:
        return self.config.type

    @property
    def is_complex(self) -> bool:
        return self.config.type is AttributeType.COMPLEX

    @property
    def writable(self) -> bool:
        return self.config.mutability is not Mutability.READ_ONLY

    @property
    def returned(self) -> bool:
        return self.config.returned is not Returned.NEVER and self.config.mutability is not Mutability.WRITE_ONLY


@dataclass(slots=True)
class ElementGroup:
    """The fields that together form one element of a core multi-valued attribute, e.g. the columns mapped to
    `emails[type eq "work"].value` and `emails[type eq "work"].primary` form the work email."""

    selector: dict[str, Any]
    """sub-attribute (lower case) -> constant, from the mapping's value filter: {"type": "work"}"""
    fields: dict[str, Field] = field(default_factory=dict)
    """sub-attribute (lower case) -> field"""

    def matches(self, element: dict[str, Any]) -> bool:
        lowered = {str(k).lower(): v for k, v in element.items()}
        return all(_same(lowered.get(k), v) for k, v in self.selector.items())


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    return left == right


def _selector(path: PatchPath, source: str) -> dict[str, Any]:
    """A mapping's value filter must be a conjunction of `eq` on sub-attributes, e.g. `type eq "work"`."""
    found: dict[str, Any] = {}

    def walk(node: Filter) -> None:
        if isinstance(node, And):
            walk(node.left)
            walk(node.right)
        elif isinstance(node, Compare) and node.op is CompareOp.EQ and not node.path.sub and not node.path.urn:
            found[node.path.attr.lower()] = node.value
        else:
            raise MappingError(f"{source}: a mapping's filter may only join `eq` comparisons with `and`")

    assert path.value_filter is not None
    walk(path.value_filter)
    return found


class ObjectMapping:
    """The compiled mapping of one object type (User or Group) of one connector."""

    def __init__(self, object_type: str, config: ObjectTypeConfig, *, has_members: bool) -> None:
        self.object_type = object_type
        self.config = config
        self.core_urn = urns.CORE_SCHEMAS[object_type]
        self.extension_urn = urns.extension_urn(object_type)
        self.anchor = config.anchor.attribute
        self.has_members = has_members
        self.fields: dict[str, Field] = {}
        self.by_path: dict[str, Field] = {}
        """normalized path -> field, for core, enterprise and extension paths without value filter"""
        self.elements: dict[str, list[ElementGroup]] = {}
        """core multi-valued attribute (lower case) -> its element groups, for value-filtered mappings"""
        self.complex: dict[str, Field] = {}
        """core attribute (lower case) -> a complex field stored as a list (a child table)"""
        self.parents: set[str] = set()
        """normalized paths that have mapped sub-attributes: `name`, `urn:...:enterprise:2.0:user:manager`"""
        self.active: Field | None = None
        self.external_id: Field | None = None
        for name, attribute in config.attributes.items():
            self._add(name, attribute)
        self._tops: dict[str, set[str]] = {}
        for key in [*self.by_path, *self.elements]:
            urn, _, rest = key.rpartition(":") if key.startswith("urn:") else ("", "", key)
            self._tops.setdefault(urn, set()).add(rest.split(".")[0])
        self._core_tops = self._tops.get("", set())
        if self.anchor not in self.fields:
            raise MappingError(f"object_types.{object_type}.anchor: {self.anchor!r} is not a selected attribute")

    def _add(self, name: str, attribute: AttributeConfig) -> None:
        source = f"object_types.{self.object_type}.attributes.{name}.scim"
        try:
            core = parse_path(attribute.scim) if attribute.scim else None
        except InvalidPath as exc:
            raise MappingError(f"{source}: {exc.detail}") from exc
        item = Field(name, attribute, core)
        self.fields[name] = item
        self.by_path[norm(AttrPath(name, urn=self.extension_urn), self.core_urn)] = item
        if core is None:
            return
        if core.value_filter is not None:
            if item.is_complex:
                raise MappingError(f"{source}: a complex attribute maps to a whole attribute such as phoneNumbers")
            key = norm(AttrPath(core.attr.attr, urn=core.attr.urn), self.core_urn)
            selector = _selector(core, source)
            groups = self.elements.setdefault(key, [])
            group = next((g for g in groups if g.selector == selector), None)
            if group is None:
                group = ElementGroup(selector)
                groups.append(group)
            group.fields[(core.sub or "value").lower()] = item
            return
        key = norm(core.attr, self.core_urn)
        if key in self.by_path and self.by_path[key] is not item:
            raise MappingError(f"{source}: {attribute.scim} is already mapped to {self.by_path[key].name}")
        if item.is_complex:
            self.complex[key] = item
        self.by_path[key] = item
        if core.attr.sub:
            self.parents.add(norm(AttrPath(core.attr.attr, urn=core.attr.urn), self.core_urn))
        if key == ACTIVE:
            if item.type is not AttributeType.BOOLEAN:
                raise MappingError(f"{source}: active must map to a boolean attribute")
            self.active = item
        elif key == EXTERNAL_ID:
            self.external_id = item

    # -- look-ups used by filters, PATCH and projections ------------------------------------------------------

    def qualify(self, path: AttrPath) -> AttrPath:
        """Give a path without schema URN the URN of the extension that holds it, when the core schema does not:
        Entra writes the enterprise `manager` as the bare path `manager`."""
        if path.urn is not None:
            return path
        top = path.attr.lower()
        if top in self._core_tops or top in ("id", "members", "active"):
            return path
        for urn in (urns.ENTERPRISE_USER, self.extension_urn):
            if top in self._tops.get(urn.lower(), ()):
                return AttrPath(path.attr, path.sub, urn)
        return path

    def field_at(self, path: AttrPath) -> Field | None:
        return self.by_path.get(norm(path, self.core_urn))

    def is_extension(self, urn: str | None) -> bool:
        return urn is not None and urn.lower() == self.extension_urn.lower()

    def is_known_schema(self, urn: str) -> bool:
        lowered = urn.lower()
        return lowered in (self.core_urn.lower(), self.extension_urn.lower(), urns.ENTERPRISE_USER.lower())

    def schemas_of(self, resource: dict[str, Any]) -> list[str]:
        schemas = [self.core_urn]
        if urns.ENTERPRISE_USER in resource:
            schemas.append(urns.ENTERPRISE_USER)
        if self.extension_urn in resource:
            schemas.append(self.extension_urn)
        return schemas

    def disable_action(self) -> DeprovisionAction:
        return self.config.deprovisioning.disable

    def delete_action(self) -> DeprovisionAction:
        return self.config.deprovisioning.delete

    def convert(self, item: Field, value: Any, *, label: str | None = None) -> Any:
        """A SCIM value for `item` -> the stored value (multi-valued fields take and give lists)."""
        label = label or item.name
        if item.config.multi_valued and not item.is_complex:
            if value is None:
                return None
            values = value if isinstance(value, list) else [value]
            return [from_scim(label, item.type, v) for v in values]
        if item.is_complex:
            return self.convert_elements(item, value, label)
        return from_scim(label, item.type, value)

    def convert_elements(self, item: Field, value: Any, label: str) -> list[dict[str, Any]] | None:
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise InvalidValue(f"{label} must be a list of objects")
        subs = {s.lower(): s for s in item.config.sub_attributes}
        elements = []
        for element in value:
            kept = {subs[k.lower()]: v for k, v in element.items() if k.lower() in subs and v is not None}
            if "primary" in kept:
                kept["primary"] = self._boolean(f"{label}.primary", kept["primary"])
            if kept:
                elements.append(kept)
        return elements

    @staticmethod
    def _boolean(label: str, value: Any) -> bool:
        return bool(from_scim(label, AttributeType.BOOLEAN, value))
