"""PATCH (RFC 7644 §3.5.2): read the operations, normalize Entra's shapes, and plan the change to the target.

Entra's non-standard shapes are accepted here and nowhere else (Microsoft, "Known issues and resolutions with
SCIM 2.0 protocol compliance of the Microsoft Entra user provisioning service"):
- `op` capitalized (`Add`, `Replace`, `Remove`): ops are matched case-insensitively;
- `active` as the strings "True"/"False": booleans are converted in `scim.values`;
- path-less `replace` whose value object has dotted (`name.givenName`) and URN-prefixed keys;
- member removal either by value list (`path: members, value: [{value: id}]`) or by `members[value eq "id"]`;
- `Add` on single-valued attributes (treated as replace).

Every operation is planned in memory before anything is written, so a PATCH applies all its operations or none.
The planner reads the object's current values only when an operation needs them (lists, multi-valued attributes,
value filters on stored values); it asks by raising `NeedCurrent`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ecmahost.config.model import AttributeType, DeprovisionKind, Mutability
from ecmahost.connectors.query import Change, Record
from ecmahost.errors import InvalidPath, InvalidSyntax, InvalidValue, NoTarget, ScimError
from ecmahost.errors import Mutability as MutabilityError
from ecmahost.scim import filter_ast as f
from ecmahost.scim import urns
from ecmahost.scim.evaluate import matches
from ecmahost.scim.filter_parser import parse_path
from ecmahost.scim.filter_render import render_filter
from ecmahost.scim.mapping import ElementGroup, Field, ObjectMapping, norm
from ecmahost.scim.values import from_scim


class PatchOpKind(StrEnum):
    ADD = "add"
    REPLACE = "replace"
    REMOVE = "remove"


@dataclass(frozen=True, slots=True)
class PatchOperation:
    op: PatchOpKind
    path: f.PatchPath | None
    value: Any
    raw_path: str | None = None


def parse_operations(body: Any) -> list[PatchOperation]:
    """The `Operations` of a PatchOp body, validated."""
    if not isinstance(body, dict):
        raise InvalidSyntax("the PATCH body must be a JSON object with schemas and Operations")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or urns.PATCH_OP not in schemas:
        raise InvalidSyntax(f'a PATCH body must have "schemas": ["{urns.PATCH_OP}"]')
    operations = body.get("Operations", body.get("operations"))
    if not isinstance(operations, list) or not operations:
        raise InvalidSyntax('a PATCH body needs "Operations": a non-empty list of {"op", "path", "value"}')
    return [_operation(index, item) for index, item in enumerate(operations)]


def _operation(index: int, item: Any) -> PatchOperation:
    where = f"Operations[{index}]"
    if not isinstance(item, dict):
        raise InvalidSyntax(f"{where} must be an object")
    raw_op = item.get("op")
    try:
        op = PatchOpKind(raw_op.lower()) if isinstance(raw_op, str) else None
    except ValueError:
        op = None
    if op is None:
        raise InvalidSyntax(f"{where}.op must be add, replace or remove (any case), got {raw_op!r:.40}")
    raw_path = item.get("path")
    if raw_path is not None and not isinstance(raw_path, str):
        raise InvalidPath(f"{where}.path must be a string")
    path = parse_path(raw_path) if raw_path else None
    if op is not PatchOpKind.REMOVE and "value" not in item:
        raise InvalidSyntax(f"{where}: {op.value} needs a value")
    if op is PatchOpKind.REMOVE and path is None:
        raise NoTarget(f"{where}: remove needs a path")
    return PatchOperation(op, path, item.get("value"), raw_path or None)


class NeedCurrent(Exception):
    """The plan needs the object's current values; the caller reads them and plans again."""


@dataclass(slots=True)
class PatchPlan:
    assign: dict[str, Any] = field(default_factory=dict)
    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    add_members: list[str] = field(default_factory=list)
    remove_members: list[str] = field(default_factory=list)
    clear_members: bool = False
    active: bool | None = None

    def member_count(self) -> int:
        return len(self.add_members) + len(self.remove_members)

    def to_change(self, mapping: ObjectMapping) -> Change:
        change = Change(
            set=dict(self.assign),
            replace=dict(self.lists),
            add_members=list(dict.fromkeys(self.add_members)),
            remove_members=list(dict.fromkeys(self.remove_members)),
            clear_members=self.clear_members,
        )
        action = mapping.disable_action()
        if self.active is not None and action.kind is DeprovisionKind.SET:
            disabled = not self.active
            change.set.update({k: (v if disabled else not v) for k, v in action.values.items()})
        return change


def member_ids(value: Any, where: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    ids = []
    for item in items:
        member = item.get("value") if isinstance(item, dict) else item
        if not isinstance(member, str) or not member:
            raise InvalidValue(f'{where}: each member must be {{"value": "<id>"}}')
        ids.append(member)
    return ids


def _filtered_member_ids(node: f.Filter) -> list[str]:
    is_value = isinstance(node, f.Compare) and node.op is f.CompareOp.EQ and node.path.attr.lower() == "value"
    if is_value and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, f.Or):
        return _filtered_member_ids(node.left) + _filtered_member_ids(node.right)
    raise InvalidPath('members can only be selected by value, as members[value eq "<id>"]')


class PatchPlanner:
    """Plans the operations of one PATCH against one object (`anchor`), optionally knowing its `current` record."""

    def __init__(self, mapping: ObjectMapping, anchor: str, current: Record | None = None) -> None:
        self.mapping = mapping
        self.anchor = anchor
        self.current = current
        self.plan = PatchPlan()

    def run(self, operations: list[PatchOperation]) -> PatchPlan:
        for operation in operations:
            if operation.path is None:
                self._pathless(operation.op, operation.value)
            elif operation.raw_path and self.mapping.is_known_schema(operation.raw_path):
                self._schema_object(operation.raw_path, operation.value, operation.op, lenient=False)
            else:
                self._path(operation.path, operation.value, operation.op, lenient=False, raw=operation.raw_path)
        return self.plan

    # -- helpers ---------------------------------------------------------------------------------------------

    def _stored(self, item: Field) -> Any:
        if self.current is None:
            raise NeedCurrent
        return self.current.get(item.name)

    def _pathless(self, op: PatchOpKind, value: Any) -> None:
        if not isinstance(value, dict):
            raise InvalidValue("an operation without a path needs an object value of attribute: value pairs")
        for key, item in value.items():
            if self.mapping.is_known_schema(key):
                self._schema_object(key, item, op, lenient=True)
            else:
                self._path(_parse_key(key), item, op, lenient=True, raw=key)

    def _schema_object(self, urn: str, value: Any, op: PatchOpKind, *, lenient: bool) -> None:
        core = urn.lower() == self.mapping.core_urn.lower()
        if op is PatchOpKind.REMOVE and value is None and not core:  # remove the whole extension (RFC 7644 §3.5.2.2)
            value = dict.fromkeys(self.mapping.attributes_of(urn))
        if not isinstance(value, dict):
            raise InvalidValue(f"{urn} takes an object value")
        for key, item in value.items():
            if key.lower() == "schemas":  # an extension object as a client serialises it may repeat `schemas`
                continue
            self._path(_parse_key(key if core else f"{urn}:{key}"), item, op, lenient=lenient, raw=key)

    def _path(self, path: f.PatchPath, value: Any, op: PatchOpKind, *, lenient: bool, raw: str | None) -> None:
        mapping = self.mapping
        attr = mapping.qualify(path.attr)
        if attr.attr.lower() == "members" and not attr.urn and mapping.has_members:
            return self._members(path, value, op)
        if path.value_filter is None:
            item = mapping.field_at(attr)
            if item is not None:
                return self._field(item, value, op)
            if not attr.urn and not attr.sub and attr.attr.lower() == "active":
                self.plan.active = _active(value, op)
                return None
        whole = f.AttrPath(attr.attr, urn=attr.urn)
        groups = mapping.elements.get(norm(whole, mapping.core_urn))
        if groups is not None:
            return self._elements(groups, path, value, op)
        if path.value_filter is None and not attr.sub and norm(attr, mapping.core_urn) in mapping.parents:
            return self._parent(attr, value, op)
        reason = mapping.unserved(raw or attr.urn)
        if reason is not None:  # `views: core` and a path under the ECMA2Host extension: refused, even path-less
            raise InvalidPath(f"path {raw!r}: {reason}")
        if lenient:
            return None
        names = ", ".join(mapping.labels())
        raise InvalidPath(f"path {raw!r} names nothing this connector stores; it stores: {names}")

    def _field(self, item: Field, value: Any, op: PatchOpKind) -> None:
        if not item.writable:
            raise MutabilityError(f"{item.config.scim or item.name} is read-only")
        label = item.config.scim or item.name
        if item.is_complex:
            self.plan.lists[item.name] = self._list(item, value, op, label)
            return
        if item.config.multi_valued:
            self.plan.assign[item.name] = self._multi(item, value, op, label)
            return
        stored = None if op is PatchOpKind.REMOVE else self.mapping.convert(item, value, label=label)
        if item.name == self.mapping.anchor and stored != self.anchor:
            raise MutabilityError(f"{label} is this object's anchor (its id) and cannot change")
        if item.config.mutability is Mutability.IMMUTABLE and self._stored(item) not in (None, stored):
            raise MutabilityError(f"{label} is immutable once set")
        self.plan.assign[item.name] = stored
        if item is self.mapping.active:
            self.plan.active = None if stored is None else bool(stored)

    def _multi(self, item: Field, value: Any, op: PatchOpKind, label: str) -> list[Any] | None:
        given = self.mapping.convert(item, value, label=label) or []
        if op is PatchOpKind.REPLACE:
            return given or None
        current = self.plan.assign.get(item.name, self._stored(item)) or []
        if op is PatchOpKind.ADD:
            return [*current, *(v for v in given if v not in current)]
        if value is None:
            return None
        kept = [v for v in current if v not in given]
        return kept or None

    def _list(self, item: Field, value: Any, op: PatchOpKind, label: str) -> list[dict[str, Any]]:
        if op is PatchOpKind.REMOVE and value is None:  # `remove` of the whole attribute: no value to read
            return []
        given = self.mapping.convert_elements(item, value if isinstance(value, list) else [value], label) or []
        if op is PatchOpKind.REPLACE:
            return given
        current = self.plan.lists.get(item.name, self._stored(item) or [])
        if op is PatchOpKind.ADD:
            return [*current, *(e for e in given if e not in current)]
        return [e for e in current if e not in given]

    def _members(self, path: f.PatchPath, value: Any, op: PatchOpKind) -> None:
        plan = self.plan
        if path.value_filter is not None:
            if op is not PatchOpKind.REMOVE:
                raise InvalidPath('members[value eq "<id>"] can only be removed; add members with path "members"')
            plan.remove_members.extend(_filtered_member_ids(path.value_filter))
            return
        if op is PatchOpKind.REMOVE and value is None:
            plan.clear_members, plan.add_members, plan.remove_members = True, [], []
            return
        ids = member_ids(value, "members")
        if op is PatchOpKind.REPLACE:
            plan.clear_members, plan.remove_members = True, []
            plan.add_members = ids
        elif op is PatchOpKind.ADD:
            plan.add_members.extend(ids)
        else:
            plan.remove_members.extend(ids)

    def _elements(self, groups: list[ElementGroup], path: f.PatchPath, value: Any, op: PatchOpKind) -> None:
        chosen = groups
        if path.value_filter is not None:
            chosen = [g for g in groups if matches(path.value_filter, self._element_of(g, path.value_filter))]
            if not chosen and op is not PatchOpKind.REMOVE:
                raise NoTarget(f"no stored element matches {path.attr.attr}[{_render(path.value_filter)}]")
        sub = (path.sub or path.attr.sub or "").lower()
        if sub:
            for group in chosen:
                if sub in group.fields:
                    self._field(group.fields[sub], value, op)
            return
        if (op is PatchOpKind.REMOVE and value is None) or op is PatchOpKind.REPLACE:
            for group in chosen:
                for item in group.fields.values():
                    self._field(item, None, PatchOpKind.REMOVE)
            if op is PatchOpKind.REMOVE:
                return
        elements = value if isinstance(value, list) else [value]
        for element in elements:
            if not isinstance(element, dict) or any(isinstance(v, dict | list) for v in element.values()):
                raise InvalidValue(f'{path.attr.attr} takes objects such as {{"type": "work", "value": "..."}}')
            for group in (g for g in chosen if g.matches(element)):
                for key, item_value in element.items():
                    item = group.fields.get(str(key).lower())
                    if item is not None:
                        self._field(item, item_value, op)

    def _element_of(self, group: ElementGroup, node: f.Filter) -> dict[str, Any]:
        element = dict(group.selector)
        if _references_outside(node, group.selector):
            for sub, item in group.fields.items():
                element[sub] = self._stored(item)
        return element

    def _parent(self, attr: f.AttrPath, value: Any, op: PatchOpKind) -> None:
        if isinstance(value, list) and len(value) == 1:
            value = value[0]  # Entra: manager as [{"$ref": ..., "value": id}]
        prefix = norm(attr, self.mapping.core_urn) + "."
        children = [(k[len(prefix) :], i) for k, i in self.mapping.by_path.items() if k.startswith(prefix)]
        # RFC 7644 §3.5.2.3: replacing a complex attribute leaves the sub-attributes it does not name unchanged.
        if op is PatchOpKind.REMOVE and value is None:
            for _, item in children:
                self._field(item, None, PatchOpKind.REMOVE)
            return
        if not isinstance(value, dict):
            raise InvalidValue(f"{attr} takes an object value")
        lowered = {str(k).lower(): v for k, v in value.items()}
        for sub, item in children:
            if sub in lowered:
                self._field(item, lowered[sub], op)


def _active(value: Any, op: PatchOpKind) -> bool | None:
    if op is PatchOpKind.REMOVE:
        return None
    return from_scim("active", AttributeType.BOOLEAN, value)


def _parse_key(key: Any) -> f.PatchPath:
    if not isinstance(key, str):
        raise InvalidValue("attribute names must be strings")
    try:
        return parse_path(key)
    except ScimError as exc:
        raise InvalidValue(f"attribute name {key!r:.60} is not a valid path: {exc.detail}") from exc


def _references_outside(node: f.Filter, selector: dict[str, Any]) -> bool:
    if isinstance(node, f.Compare | f.Present):
        return node.path.attr.lower() not in selector
    if isinstance(node, f.And | f.Or):
        return _references_outside(node.left, selector) or _references_outside(node.right, selector)
    if isinstance(node, f.Not):
        return _references_outside(node.expr, selector)
    return True


def _render(node: f.Filter) -> str:
    return render_filter(node)
