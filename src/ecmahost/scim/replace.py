"""What a PUT replaces (RFC 7644 §3.5.1): for each selected attribute, whether the body sets it, clears it or
leaves it alone, and which values must match what is stored.

The rule (docs/scim-support.md, "PUT"):

1. `id` in the body must be the id of the URL, and the anchor attribute (at any path it is served) must be the
   anchor of the URL: otherwise 400 `mutability`. Other readOnly attributes in the body are ignored.
2. A body *asserts* the views it is written in:
   - the ECMA2Host extension, when the connector serves it and the body lists its URN in `schemas` (or holds
     its object);
   - the enterprise extension, when the connector serves the core views and the body lists its URN in
     `schemas` (or holds its object);
   - the core schema, when the connector serves it, unless the body asserts the ECMA2Host extension and holds
     no top-level core attribute the connector serves (a body written only in the extension view);
   - a group's `members` belong to the core schema (to the extension view under `views: extension`); a body that
     holds `members` asserts them.
3. An attribute the body gives a value is written (an immutable one only if nothing is stored yet or the value is
   the same, else 400 `mutability`).
4. An attribute the body gives as null, or omits, is cleared only if the connector serves it, it is writable and
   returned (not readOnly, immutable, writeOnly or `returned: never`), and, when omitted, its own view is
   asserted: the core schema or the enterprise extension for an attribute served at a core/enterprise path, the
   ECMA2Host extension for the others. So a core body never clears what only the extension serves, and a body
   written only in the extension view never clears what a core path serves, though it may write it. The target
   leaves alone what it generates or defaults (`ClearRules.keep`), and an attribute that is `required` or that
   the target cannot clear (`ClearRules.required`) makes the PUT a 400 `invalidValue` naming it. Unselected
   attributes are never touched.

Pure: it reads the body, the mapping and the connector's `ClearRules`; the service does the I/O.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from ecmahost.config.model import Mutability as FieldMutability
from ecmahost.connectors.base import ClearRules
from ecmahost.connectors.query import MEMBERS, Change, Record
from ecmahost.errors import InvalidValue, Mutability
from ecmahost.scim import urns
from ecmahost.scim.mapping import Field, ObjectMapping
from ecmahost.scim.resources import ci_get, extract, given_value
from ecmahost.scim.values import to_scim

CORE = "core"
ENTERPRISE = "enterprise"
EXTENSION = "extension"


@dataclass(frozen=True, slots=True)
class _Shape:
    """Per mapping, worked out once: the view that lets a PUT clear each served field, and the top-level core
    attribute names."""

    views: dict[str, frozenset[str]]
    core_keys: frozenset[str]


_SHAPES: weakref.WeakKeyDictionary[ObjectMapping, _Shape] = weakref.WeakKeyDictionary()


def _shape(mapping: ObjectMapping) -> _Shape:
    shape = _SHAPES.get(mapping)
    if shape is None:
        views = {name: _views_of(mapping, item) for name, item in mapping.served.items()}
        keys = {
            item.core.attr.attr.lower()
            for name, item in mapping.served.items()
            if item.core is not None and CORE in views[name]
        }
        if mapping.has_members and mapping.core_view:
            keys.add(MEMBERS)
        shape = _SHAPES[mapping] = _Shape(views, frozenset(keys))
    return shape


def _views_of(mapping: ObjectMapping, item: Field) -> frozenset[str]:
    """The view whose assertion lets a PUT clear `item` (rule 4): its core/enterprise path where served, else the
    ECMA2Host extension."""
    if item.core is not None:
        urn = (item.core.attr.urn or "").lower()
        return frozenset({ENTERPRISE if urn == urns.ENTERPRISE_USER.lower() else CORE})
    return frozenset({EXTENSION}) if item.extension and mapping.extension_view else frozenset()


def asserted_views(mapping: ObjectMapping, body: dict[str, Any]) -> frozenset[str]:
    """The views a (schema-checked) PUT body is written in, by rule 2."""
    schemas = {s.lower() for s in body.get("schemas") or () if isinstance(s, str)}
    keys = {k.lower() for k in body if isinstance(k, str)}
    views = set()
    ext = mapping.extension_urn.lower()
    if mapping.extension_view and (ext in schemas or ext in keys):
        views.add(EXTENSION)
    enterprise = urns.ENTERPRISE_USER.lower()
    if mapping.core_view and mapping.object_type == "User" and (enterprise in schemas or enterprise in keys):
        views.add(ENTERPRISE)
    if mapping.core_view and (EXTENSION not in views or keys & _shape(mapping).core_keys):
        views.add(CORE)
    return frozenset(views)


@dataclass(slots=True)
class Replacement:
    change: Change
    immutable: dict[str, Any] = field(default_factory=dict)
    """immutable field -> the value the body gives: it must match the stored value, if one is stored"""
    replaces_members: bool = False
    """the body asserts the members: they become exactly the body's (none when it has no `members`)"""


def plan(
    mapping: ObjectMapping, body: dict[str, Any], anchor: str, rules: ClearRules, current: Record | None = None
) -> Replacement:
    """The change a PUT of `body` to the object `anchor` makes (members aside: `replaces_members` says whether the
    service replaces them with the body's). Raises `TwoValues` when the body gives one attribute two values at
    its two paths and `current` (the stored object) is not there to tell which one the client changed."""
    check_identity(mapping, body, anchor)
    record = extract(mapping, body, current)
    views = asserted_views(mapping, body)
    shape = _shape(mapping)
    result = Replacement(Change())
    change = result.change
    missing = []
    for name, item in mapping.served.items():
        if name == mapping.anchor or not item.writable:
            continue
        value = record.get(name)
        if value is not None and not (item.config.required and value in ("", [])):
            (change.replace if item.is_complex else change.set)[name] = value
            if item.config.mutability is FieldMutability.IMMUTABLE:
                result.immutable[name] = value
            continue
        if name not in record and not views & shape.views[name]:
            continue  # rule 4: absent, and its view is not one the body uses (an explicit null always counts)
        if item.config.required or name in rules.required:
            missing.append(item.label)
        elif name in rules.keep or item.config.mutability is FieldMutability.IMMUTABLE or not item.returned:
            continue
        elif item.is_complex:
            change.replace[name] = []
        else:
            change.set[name] = None
    if missing:
        raise InvalidValue(
            f"required attribute missing: {', '.join(missing)}. A PUT replaces the whole resource: send every "
            "required attribute (or change single attributes with PATCH)"
        )
    if mapping.has_members:
        result.replaces_members = ("members" in {k.lower() for k in body if isinstance(k, str)}) or bool(
            views & {CORE if mapping.core_view else EXTENSION}
        )
    return result


def _has_value(value: Any) -> bool:
    return value is not None and value != "" and value != []


def check_identity(mapping: ObjectMapping, body: dict[str, Any], anchor: str) -> None:
    """Rule 1: the body may repeat the object's id and anchor, never change them."""
    item = mapping.fields[mapping.anchor]
    given = ci_get(body, "id")
    if given is not None and not _same_anchor(item, given, anchor):
        raise Mutability(
            f"id is readOnly: the body's id {str(given)[:64]!r} is not {anchor!r}, the id in the URL; send the "
            "same id or leave it out"
        )
    if item.name not in mapping.served:
        return
    found, value = given_value(mapping, body, item)
    if found and value is not None and not _same_anchor(item, value, anchor):
        raise Mutability(
            f"{item.label} is the anchor of this {mapping.object_type} (its id, {anchor!r}) and cannot change: "
            f"send the same value or leave it out"
        )


def _same_anchor(item: Field, given: Any, anchor: str) -> bool:
    text = str(to_scim(given))
    return text == anchor or (not item.config.case_exact and text.casefold() == anchor.casefold())


def check_immutable(mapping: ObjectMapping, replacement: Replacement, current: Record) -> None:
    """Rule 3: an immutable attribute already stored keeps its value."""
    for name, value in replacement.immutable.items():
        stored = current.get(name)
        if _has_value(stored) and not _same(mapping.fields[name], stored, value):
            label = mapping.fields[name].label
            raise Mutability(f"{label} is immutable: it is already set and cannot change; send the stored value")


def _same(item: Field, stored: Any, given: Any) -> bool:
    def norm(value: Any) -> Any:
        if isinstance(value, list):
            return sorted(repr(norm(v)) for v in value)
        value = to_scim(value)
        return value.casefold() if isinstance(value, str) and not item.config.case_exact else value

    return bool(norm(stored) == norm(given))
