"""Translate a SCIM filter (SCIM attribute paths) into a target filter (target attribute names).

The result goes to the connector, which turns it into one query for the target; nothing is filtered in memory.
A filter naming an attribute the connector does not store is `400 invalidFilter`, never "match everything",
except for names the connector declares absent (Entra's `PLACEHOLDER` default mapping, which its test connection
queries): those compare as a missing value, so the dummy-user query gets its empty list. `meta.created` and
`meta.lastModified` compare and sort as dateTimes where the connector stores them (`ObjectMapping.timestamps`),
and are `400 invalidFilter` where it does not. `sort_key` resolves a `sortBy` the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ecmahost.config.model import AttributeType
from ecmahost.connectors import query as q
from ecmahost.errors import InvalidFilter, InvalidValue, ScimError
from ecmahost.scim import filter_ast as f
from ecmahost.scim.evaluate import compare_values
from ecmahost.scim.mapping import ElementGroup, Field, ObjectMapping, norm
from ecmahost.scim.values import from_scim

ORDERED_OPS = {f.CompareOp.GT, f.CompareOp.GE, f.CompareOp.LT, f.CompareOp.LE}
META_KEYS = {"created": q.META_CREATED, "lastmodified": q.META_MODIFIED}
"""`meta.<sub>` (lower case) -> the reserved record key a connector stores it under"""
META_WHAT = {q.META_CREATED: "creation", q.META_MODIFIED: "modification"}
STRING_OPS = {f.CompareOp.CO, f.CompareOp.SW, f.CompareOp.EW}

TRUE = q.Const(True)
FALSE = q.Const(False)


def _and(items: list[q.Filter]) -> q.Filter:
    if any(i == FALSE for i in items):
        return FALSE
    kept = [i for i in items if i != TRUE]
    return kept[0] if len(kept) == 1 else q.And(tuple(kept)) if kept else TRUE


def _or(items: list[q.Filter]) -> q.Filter:
    if any(i == TRUE for i in items):
        return TRUE
    kept = [i for i in items if i != FALSE]
    return kept[0] if len(kept) == 1 else q.Or(tuple(kept)) if kept else FALSE


def _not(item: q.Filter) -> q.Filter:
    if isinstance(item, q.Const):
        return q.Const(not item.value)
    return q.Not(item)


def _absent(node: f.Compare | f.Present) -> q.Filter:
    """Truth of a comparison against an attribute that never has a value."""
    if isinstance(node, f.Present):
        return FALSE
    if node.op is f.CompareOp.EQ:
        return TRUE if node.value is None else FALSE
    if node.op is f.CompareOp.NE:
        return FALSE if node.value is None else TRUE
    return FALSE


def _operand(item: Field | None, node: f.Compare, label: str) -> Any:
    value = node.value
    if isinstance(value, str) and "\x00" in value:
        raise InvalidFilter(f"filter: the value for {label} contains a NUL character")
    if node.op in STRING_OPS and not isinstance(value, str):
        raise InvalidFilter(f"filter: {node.op.value} needs a string value for {label}")
    if item is None or value is None:
        return value
    if item.type is AttributeType.BOOLEAN and node.op not in (f.CompareOp.EQ, f.CompareOp.NE):
        raise InvalidFilter(f"filter: {label} is a boolean; use eq or ne")
    if item.type in (AttributeType.STRING, AttributeType.REFERENCE, AttributeType.BINARY):
        return value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    try:
        return from_scim(label, item.type, value)
    except ScimError as exc:
        raise InvalidFilter(f"filter: {exc.detail}") from exc


def _compare(item: Field, node: f.Compare, label: str) -> q.Filter:
    value = _operand(item, node, label)
    if value is None:
        return _compare_null(item.name, node.op, label)
    return q.Compare(item.name, q.Op(node.op.value), value, case_exact=item.config.case_exact)


def _compare_null(name: str, op: f.CompareOp, label: str) -> q.Filter:
    present = q.Present(name)
    if op is f.CompareOp.EQ:
        return _not(present)
    if op is f.CompareOp.NE:
        return present
    raise InvalidFilter(f"filter: {op.value} null is meaningless for {label}")


def meta_key(mapping: ObjectMapping, path: f.AttrPath, where: str) -> str:
    """The reserved record key of `meta.created` / `meta.lastModified` when the connector stores it; otherwise a
    400 that says so (`where`: "filter" or "sortBy"), never a filter that matches everything."""
    key = META_KEYS.get((path.sub or "").lower())
    error = InvalidFilter if where == "filter" else InvalidValue
    if key is None:
        raise error(f"{where}: {str(path)!r} cannot be used; of meta, only meta.created and meta.lastModified can")
    if key not in mapping.timestamps:
        raise error(
            f"{where}: meta.{path.sub} is not available: this connector's {mapping.object_type} object type does not "
            f"store its {META_WHAT[key]} time (for a SQL connector, name that column in `timestamps:`)"
        )
    return key


def sort_key(mapping: ObjectMapping, path: f.AttrPath, raw: str) -> str:
    """The target attribute (or reserved `meta` key) a `sortBy` names; 400 invalidValue when nothing sortable."""
    if path.attr.lower() == "id" and not path.sub and (not path.urn or path.urn.lower() == mapping.core_urn.lower()):
        return mapping.anchor
    if path.attr.lower() == "meta" and (not path.urn or path.urn.lower() == mapping.core_urn.lower()):
        return meta_key(mapping, path, "sortBy")
    item = mapping.field_at(mapping.qualify(path))
    if item is None or item.is_complex:
        labels = ", ".join(["id", *mapping.labels(), *_meta_labels(mapping)])
        raise InvalidValue(f"sortBy: {raw!r} is not a sortable attribute of this connector; sortable: {labels}")
    return item.name


def _meta_labels(mapping: ObjectMapping) -> list[str]:
    return [
        f"meta.{sub}"
        for sub, key in (("created", q.META_CREATED), ("lastModified", q.META_MODIFIED))
        if key in mapping.timestamps
    ]


class FilterTranslator:
    """Translates filters for one object type. `absent` holds attribute names (lower case) that the connector
    declares never stored."""

    def __init__(self, mapping: ObjectMapping, absent: frozenset[str] = frozenset()) -> None:
        self.mapping = mapping
        self.absent = absent

    def translate(self, node: f.Filter) -> q.Filter:
        if isinstance(node, f.And):
            return _and([self.translate(node.left), self.translate(node.right)])
        if isinstance(node, f.Or):
            return _or([self.translate(node.left), self.translate(node.right)])
        if isinstance(node, f.Not):
            return _not(self.translate(node.expr))
        if isinstance(node, f.ValuePath):
            return self._value_path(node.path, node.filter)
        return self._leaf(node)

    def _leaf(self, node: f.Compare | f.Present) -> q.Filter:
        mapping = self.mapping
        path = mapping.qualify(node.path)
        if path.attr.lower() == "id" and not path.sub and (not path.urn or path.urn == mapping.core_urn):
            anchor = mapping.fields[mapping.anchor]
            if isinstance(node, f.Present):
                return TRUE
            value = node.value if isinstance(node.value, str) or node.value is None else str(node.value)
            return self._strict(anchor, f.Compare(path, node.op, value), "id")
        if mapping.dn_autogenerated and mapping.is_dn(path):
            return self._dn(node)
        item = mapping.field_at(path)
        if item is not None and not item.is_complex:
            if isinstance(node, f.Present):
                return q.Present(item.name)
            return _compare(item, node, str(path))
        if path.attr.lower() == "meta" and (not path.urn or path.urn.lower() == mapping.core_urn.lower()):
            return self._meta(path, node)
        parent = f.AttrPath(path.attr, urn=path.urn)
        sub = path.sub or "value"
        leaf: f.Filter = (
            f.Present(f.AttrPath(sub))
            if isinstance(node, f.Present)
            else f.Compare(f.AttrPath(sub), node.op, node.value)
        )
        if self._is_multi(parent):
            return self._value_path(parent, leaf)
        if path.attr.lower() in self.absent and not path.sub:
            return _absent(node)
        raise InvalidFilter(self._unknown(path))

    def _dn(self, node: f.Compare | f.Present) -> q.Filter:
        """`-dn- eq "CN=<anchor>,OBJECT=USER"` is a look-up by anchor; other operators on a computed DN are not
        supported."""
        if isinstance(node, f.Present):
            return TRUE
        if node.op not in (f.CompareOp.EQ, f.CompareOp.NE) or not isinstance(node.value, str):
            raise InvalidFilter("filter: the autogenerated -dn- supports only eq and ne with a string")
        anchor = self.mapping.anchor_of_dn(node.value)
        match: q.Filter = FALSE if anchor is None else q.Compare(self.mapping.anchor, q.Op.EQ, anchor)
        return match if node.op is f.CompareOp.EQ else _not(match)

    def _meta(self, path: f.AttrPath, node: f.Compare | f.Present) -> q.Filter:
        key = meta_key(self.mapping, path, "filter")
        if isinstance(node, f.Present):
            return q.Present(key)
        label = f"meta.{path.sub}"
        if node.op in STRING_OPS:
            raise InvalidFilter(f"filter: {label} is a dateTime; use eq, ne, gt, ge, lt or le")
        if node.value is None:
            return _compare_null(key, node.op, label)
        try:
            value = from_scim(label, AttributeType.DATETIME, node.value)
        except ScimError as exc:
            raise InvalidFilter(f"filter: {exc.detail}") from exc
        return q.Compare(key, q.Op(node.op.value), value, case_exact=True)

    def _strict(self, item: Field, node: f.Compare, label: str) -> q.Filter:
        value = _operand(item, node, label)
        if value is None:
            return _not(q.Present(item.name)) if node.op is f.CompareOp.EQ else q.Present(item.name)
        return q.Compare(item.name, q.Op(node.op.value), value, case_exact=True)

    def _is_multi(self, parent: f.AttrPath) -> bool:
        key = parent.attr.lower() if not parent.urn else None
        mapping = self.mapping
        if key == "members" and mapping.has_members:
            return True
        item = mapping.field_at(parent)
        return (item is not None and item.is_complex) or self._groups(parent) is not None

    def _groups(self, parent: f.AttrPath) -> list[ElementGroup] | None:
        return self.mapping.elements.get(norm(parent, self.mapping.core_urn))

    def _value_path(self, parent: f.AttrPath, inner: f.Filter) -> q.Filter:
        mapping = self.mapping
        parent = mapping.qualify(parent)
        if parent.attr.lower() == "members" and not parent.urn and mapping.has_members:
            return q.Any_(q.MEMBERS, self._element(inner, {"value": "value"}, "members", case_exact=True))
        item = mapping.field_at(parent)
        if item is not None and item.is_complex:
            subs = {s.lower(): s for s in item.config.sub_attributes}
            return q.Any_(item.name, self._element(inner, subs, str(parent), item.config.case_exact))
        groups = self._groups(parent)
        if groups is None:
            if parent.attr.lower() in self.absent:
                return FALSE
            raise InvalidFilter(self._unknown(parent))
        known = {k for g in groups for k in (*g.selector, *g.fields)}
        return _or([self._group(g, inner, known, str(parent)) for g in groups])

    def _element(self, node: f.Filter, subs: dict[str, str], label: str, case_exact: bool) -> q.Filter:
        """A filter over the sub-attributes of a complex element stored as a list (child table, members)."""

        def leaf(n: f.Compare | f.Present) -> q.Filter:
            name = subs.get(n.path.attr.lower())
            if name is None or n.path.sub:
                raise InvalidFilter(
                    f"filter: {label} has no sub-attribute {n.path.attr!r}; it has {', '.join(subs.values())}"
                )
            if isinstance(n, f.Present):
                return q.Present(name)
            value = _operand(None, n, f"{label}.{name}")
            if name == "primary" and isinstance(value, str):
                value = value.lower() == "true"
            return q.Compare(name, q.Op(n.op.value), value, case_exact=case_exact)

        return self._fold(node, leaf)

    def _group(self, group: ElementGroup, node: f.Filter, known: set[str], label: str) -> q.Filter:
        def leaf(n: f.Compare | f.Present) -> q.Filter:
            sub = n.path.attr.lower()
            if n.path.sub or sub not in known:
                raise InvalidFilter(
                    f"filter: {label} has no sub-attribute {n.path.attr!r}; it has {', '.join(sorted(known))}"
                )
            if sub in group.fields:
                item = group.fields[sub]
                return q.Present(item.name) if isinstance(n, f.Present) else _compare(item, n, f"{label}.{sub}")
            if sub in group.selector:
                constant = group.selector[sub]
                if isinstance(n, f.Present):
                    return TRUE
                return q.Const(_compare_const(n.op, constant, n.value))
            return _absent(n)

        return self._fold(node, leaf)

    def _fold(self, node: f.Filter, leaf: Callable[[f.Compare | f.Present], q.Filter]) -> q.Filter:
        if isinstance(node, f.And):
            return _and([self._fold(node.left, leaf), self._fold(node.right, leaf)])
        if isinstance(node, f.Or):
            return _or([self._fold(node.left, leaf), self._fold(node.right, leaf)])
        if isinstance(node, f.Not):
            return _not(self._fold(node.expr, leaf))
        if isinstance(node, f.ValuePath):
            raise InvalidFilter("filter: a value path cannot be nested inside another")
        return leaf(node)

    def _unknown(self, path: f.AttrPath) -> str:
        reason = self.mapping.unserved(path.urn)
        if reason is not None:
            return f"filter: {reason}"
        names = ", ".join(["id", *self.mapping.labels(), *_meta_labels(self.mapping)])
        return (
            f"filter: attribute {str(path)!r} is not stored by this connector's {self.mapping.object_type} "
            f"object type; filterable attributes: {names}"
        )


def _compare_const(op: f.CompareOp, constant: Any, value: Any) -> bool:
    return compare_values(op, constant, value)
