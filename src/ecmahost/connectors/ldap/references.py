"""DN-valued attributes configured `type: reference` (such as `manager`, `secretary`, `seeAlso`): records hold the
anchor (the SCIM id) of the entry named, the directory holds its DN.

    write   anchor -> DN of the entry of any configured object type with that anchor (unknown: ConstraintViolation)
    read    DN -> anchor, by a base read per DN; a DN that names no configured object is left out
    filter  `manager eq "<anchor>"` compares with the DN (an unknown anchor matches nothing; `ne` everything);
            only eq and ne make sense for a reference
    rename  entries whose reference attributes name the old DN get the new one; delete removes the value
            (when the referring object type keeps `maintain_member_references`)

Group members are not references in this sense (`members` handles them). It runs calls on a `Session` and
translates no errors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ldap3 import MODIFY_ADD, MODIFY_DELETE
from ldap3.utils.conv import escape_filter_chars

from ecmahost.connectors.errors import ConstraintViolation
from ecmahost.connectors.ldap import dn as dns
from ecmahost.connectors.ldap.directory import Directory, classes_filter, find_many
from ecmahost.connectors.ldap.members import anchors_by_base_reads
from ecmahost.connectors.ldap.session import Session
from ecmahost.connectors.ldap.spec import ObjectSpec
from ecmahost.connectors.query import And, Any_, Compare, Const, Filter, Not, Op, Or, Record


def to_dns(session: Session, directory: Directory, spec: ObjectSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `values` whose reference attributes hold DNs instead of anchors."""
    names = [n for n in values if spec.is_reference(n)]
    anchors = [a for n in names for a in _items(values[n])]
    if not anchors:
        return dict(values)
    found = dns_of(session, directory, anchors)
    unknown = [a for a in anchors if a not in found]
    if unknown:
        raise ConstraintViolation(f"{names[0]}: {unknown[0]} is not an existing object")
    translated = dict(values)
    for name in names:
        value = values[name]
        translated[name] = [found[a] for a in _items(value)] if isinstance(value, list) else found.get(str(value))
    return translated


def dns_of(session: Session, directory: Directory, anchors: Sequence[str]) -> dict[str, str]:
    """anchor -> DN, for the anchors of existing objects of any configured object type."""
    found: dict[str, str] = {}
    for spec in directory.member_types():
        missing = [a for a in dict.fromkeys(anchors) if a not in found]
        if not missing:
            break
        found.update({anchor: entry.dn for anchor, entry in find_many(session, spec, missing, []).items()})
    return found


def to_anchors(session: Session, directory: Directory, spec: ObjectSpec, records: list[Record]) -> None:
    """In place: the DNs in `records`' reference attributes become anchors."""
    names = [n for n in spec.references if any(n in r for r in records)]
    values = list(dict.fromkeys(dn for r in records for n in names for dn in _items(r.get(n))))
    if not values:
        return
    by_dn: dict[str, str] = {}
    for target in directory.member_types():
        missing = [v for v in values if dns.normalize(v) not in by_dn]
        if missing:
            by_dn.update(anchors_by_base_reads(session, target, missing))
    for record in records:
        for name in names:
            value = record.get(name)
            if isinstance(value, list):
                record[name] = [by_dn[k] for v in value if (k := dns.normalize(v)) in by_dn] or None
            elif value is not None:
                record[name] = by_dn.get(dns.normalize(str(value)))


def filter_with_dns(session: Session, directory: Directory, spec: ObjectSpec, filter_: Filter) -> Filter:
    """`filter_` with the anchors compared to reference attributes replaced by DNs."""
    anchors = list(_anchors_in(filter_, spec.is_reference))
    if not anchors:
        return filter_
    return _swap(filter_, spec.is_reference, dns_of(session, directory, anchors))


def _anchors_in(node: Filter, is_reference: Callable[[str], bool]) -> list[str]:
    match node:
        case Compare(attribute, op, value) if is_reference(attribute) and value is not None:
            if op not in (Op.EQ, Op.NE):
                raise ConstraintViolation(f"{attribute} is a reference: compare it with eq or ne only")
            return [str(value)]
        case Any_(attribute, item) if is_reference(attribute):
            return _anchors_in(item, _is_value)
        case And(items) | Or(items):
            return [a for item in items for a in _anchors_in(item, is_reference)]
        case Not(item):
            return _anchors_in(item, is_reference)
    return []


def _swap(node: Filter, is_reference: Callable[[str], bool], found: Mapping[str, str]) -> Filter:
    match node:
        case Compare(attribute, op, value) if is_reference(attribute) and value is not None:
            dn = found.get(str(value))
            return Compare(attribute, op, dn, node.case_exact) if dn is not None else Const(op is Op.NE)
        case Any_(attribute, item) if is_reference(attribute):
            return Any_(attribute, _swap(item, _is_value, found))
        case And(items):
            return And(tuple(_swap(item, is_reference, found) for item in items))
        case Or(items):
            return Or(tuple(_swap(item, is_reference, found) for item in items))
        case Not(item):
            return Not(_swap(item, is_reference, found))
    return node


def _is_value(name: str) -> bool:
    return name == "value"


def replace_dn(session: Session, directory: Directory, old: str, new: str | None) -> None:
    """Where a reference attribute names `old`, put `new` instead (or just remove `old` when `new` is None)."""
    for spec in directory.specs.values():
        if not spec.target.maintain_member_references:
            continue
        for name in spec.references:
            inner = f"({name}={escape_filter_chars(old)})"
            holders = [e.dn for e in session.paged(spec.target.base_dn, classes_filter(spec, inner), "subtree", [])]
            for holder in holders:
                changes = [(MODIFY_DELETE, [old])] + ([(MODIFY_ADD, [new])] if new else [])
                session.modify(holder, {name: changes})


def _items(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value if v not in (None, "")] if isinstance(value, list) else [str(value)]
