"""Group membership: member anchors <-> member values (DNs, or an attribute such as uid for memberUid), and
membership changes that touch only the changed values.

Adding or removing members is one modify with MODIFY_ADD / MODIFY_DELETE of just those values: the group's other
members are never read. With the Permissive Modify control (OpenLDAP, AD LDS) adding a present value is a no-op
and the whole change (attributes and members) is one atomic modify; a delete of an absent value that the server
still refuses is retried with the values an LDAP compare finds. Without the control, a value that is already
there (`attributeOrValueExists`) or already gone (`noSuchAttribute`) is isolated by splitting the batch.
Groups whose class requires a member (groupOfNames) keep `empty_member_dn` as a placeholder while they have no
real member; it is never returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ldap3 import MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE
from ldap3.core import exceptions as ldap_exc
from ldap3.utils.conv import escape_filter_chars

from ecmahost.connectors.errors import ConstraintViolation, MembersNotFound
from ecmahost.connectors.ldap import dn as dns
from ecmahost.connectors.ldap.directory import Directory, anchor_attributes, anchor_of, classes_filter, find_many
from ecmahost.connectors.ldap.errors import (
    ATTRIBUTE_OR_VALUE_EXISTS,
    NO_SUCH_ATTRIBUTE,
    OBJECT_CLASS_VIOLATION,
    UNAVAILABLE_CRITICAL_EXTENSION,
)
from ecmahost.connectors.ldap.session import Entry, Session
from ecmahost.connectors.ldap.spec import ObjectSpec
from ecmahost.connectors.ldap.values import DN_ATTRIBUTE

SMALL = 50
"""Up to this many member DNs are translated with one base read each; more with one paged scan per type."""
Changes = dict[str, list[tuple[str, list[Any]]]]


def values_for(session: Session, directory: Directory, group: ObjectSpec, anchors: Sequence[str]) -> dict[str, str]:
    """member anchor -> member value, for the anchors that name an existing member."""
    reference = group.target.member_reference
    found: dict[str, str] = {}
    for spec in directory.member_types():
        missing = [a for a in dict.fromkeys(anchors) if a not in found]
        if not missing:
            break
        if spec.anchor == DN_ATTRIBUTE and reference == DN_ATTRIBUTE:
            found.update({a: a for a in missing if _dn_anchor_fits(spec, a)})
            continue
        attributes = [] if reference == DN_ATTRIBUTE else [reference]
        for anchor, entry in find_many(session, spec, missing, attributes).items():
            value = reference_of(entry, reference)
            if value is not None:
                found[anchor] = value
    return found


def require_values(session: Session, directory: Directory, group: ObjectSpec, anchors: Sequence[str]) -> list[str]:
    """The member values of `anchors`, all of which must exist (`MembersNotFound` names those that do not)."""
    if not anchors:
        return []
    found = values_for(session, directory, group, anchors)
    unknown = [a for a in anchors if a not in found]
    if unknown:
        raise MembersNotFound(unknown, " or ".join(spec.object_type for spec in directory.member_types()))
    return list(dict.fromkeys(found[a] for a in anchors))


def reference_of(entry: Entry, reference: str) -> str | None:
    if reference == DN_ATTRIBUTE:
        return entry.dn
    raw = entry.get(reference)
    return raw[0].decode("utf-8", errors="replace") if raw else None


def anchors_for(session: Session, directory: Directory, group: ObjectSpec, values: Sequence[str]) -> list[str]:
    """Member values -> member anchors, in the same order; the placeholder and dangling values are left out."""
    placeholder = dns.normalize(group.target.empty_member_dn) if group.target.empty_member_dn else None
    reference = group.target.member_reference
    if reference == DN_ATTRIBUTE:
        values = [v for v in values if dns.normalize(v) != placeholder]
    if not values:
        return []
    types = directory.member_types()
    if reference == DN_ATTRIBUTE and all(s.anchor == DN_ATTRIBUTE for s in types):
        return list(values)
    by_key: dict[str, str] = {}
    for spec in types:
        if reference != DN_ATTRIBUTE:
            by_key.update(_by_attribute(session, spec, reference, values))
        elif len(values) <= SMALL:
            by_key.update(anchors_by_base_reads(session, spec, values))
        else:
            by_key.update(_by_scan(session, spec))
    key = (lambda v: dns.normalize(v)) if reference == DN_ATTRIBUTE else (lambda v: v.lower())
    return [by_key[key(v)] for v in values if key(v) in by_key]


def anchors_by_base_reads(session: Session, spec: ObjectSpec, values: Sequence[str]) -> dict[str, str]:
    """normalized DN -> anchor, for the DNs in `values` that are entries of `spec` (one base read each)."""
    found = {}
    for value in values:
        if not dns.is_under(value, spec.target.base_dn):
            continue
        entries = _safe_base(session, value, classes_filter(spec), anchor_attributes(spec))
        anchor = anchor_of(spec, entries[0]) if entries else None
        if anchor is not None:
            found[dns.normalize(value)] = anchor
    return found


def _by_scan(session: Session, spec: ObjectSpec) -> dict[str, str]:
    found = {}
    for entry in session.paged(spec.target.base_dn, classes_filter(spec), spec.target.scope, anchor_attributes(spec)):
        anchor = anchor_of(spec, entry)
        if anchor is not None:
            found[dns.normalize(entry.dn)] = anchor
    return found


def _by_attribute(session: Session, spec: ObjectSpec, reference: str, values: Sequence[str]) -> dict[str, str]:
    found = {}
    for start in range(0, len(values), 100):
        parts = [f"({reference}={escape_filter_chars(v)})" for v in values[start : start + 100]]
        inner = parts[0] if len(parts) == 1 else f"(|{''.join(parts)})"
        attributes = [*anchor_attributes(spec), reference]
        for entry in session.paged(spec.target.base_dn, classes_filter(spec, inner), spec.target.scope, attributes):
            anchor, value = anchor_of(spec, entry), reference_of(entry, reference)
            if anchor is not None and value is not None:
                found[value.lower()] = anchor
    return found


def _safe_base(session: Session, dn: str, filter_: str, attributes: list[str]) -> list[Entry]:
    try:
        return session.search(dn, filter_, "base", attributes)
    except (ldap_exc.LDAPNoSuchObjectResult, ldap_exc.LDAPInvalidDNSyntaxResult):
        return []


def _dn_anchor_fits(spec: ObjectSpec, anchor: str) -> bool:
    try:
        dns.parse(anchor)
    except ConstraintViolation:
        return False
    return dns.is_under(anchor, spec.target.base_dn)


# -- writing ------------------------------------------------------------------------------------------------------


def initial_values(group: ObjectSpec, values: list[str]) -> list[str]:
    """A new group's member values: the placeholder when it has none (and one is configured)."""
    if values:
        return values
    return [group.target.empty_member_dn] if group.target.empty_member_dn else []


def modify(
    session: Session,
    dn: str,
    group: ObjectSpec | None,
    attributes: Changes,
    *,
    add: list[str],
    remove: list[str],
    clear: bool,
) -> None:
    """Write attribute changes and member changes to the entry at `dn`: atomically when the server has
    Permissive Modify, otherwise attributes first and then members value by value when a batch conflicts."""
    if group is None or not (add or remove or clear):
        session.modify(dn, attributes)
        return
    member = group.target.member_attribute
    assert member is not None
    placeholder = group.target.empty_member_dn
    remove = [v for v in dict.fromkeys(remove) if v not in set(add)]
    if clear:
        changes = {**attributes, member: [(MODIFY_REPLACE, initial_values(group, list(dict.fromkeys(add))))]}
        session.modify(dn, changes)
        return
    add = list(dict.fromkeys(add))
    if session.counters.permissive_modify is not False:
        try:
            _atomic(session, dn, attributes, member, placeholder, add=add, remove=remove)
            session.counters.permissive_modify = True
            return
        except ldap_exc.LDAPOperationResult as exc:
            if exc.result != UNAVAILABLE_CRITICAL_EXTENSION:
                raise
            session.counters.permissive_modify = False
    session.modify(dn, attributes)
    _one_by_one(session, dn, member, placeholder, add=add, remove=remove)


def _atomic(
    session: Session,
    dn: str,
    attributes: Changes,
    member: str,
    placeholder: str | None,
    *,
    add: list[str],
    remove: list[str],
) -> None:
    """Attributes and members in one modify with Permissive Modify, which makes adding a present value a no-op.
    Some servers (OpenLDAP 2.5) still refuse deleting an absent value: then only the values a compare finds are
    deleted. A group that would be left without a required member keeps the placeholder."""
    keep_placeholder = False
    for _ in range(3):
        ops: list[tuple[str, list[Any]]] = [(MODIFY_ADD, [placeholder])] if keep_placeholder and placeholder else []
        if remove:
            ops.append((MODIFY_DELETE, remove))
        if add:
            ops.append((MODIFY_ADD, add))
            if placeholder:
                ops.append((MODIFY_DELETE, [placeholder]))
        if not ops:
            session.modify(dn, attributes)
            return
        try:
            session.modify(dn, {**attributes, member: ops}, permissive=True)
            return
        except ldap_exc.LDAPOperationResult as exc:
            if exc.result == NO_SUCH_ATTRIBUTE:
                remove = [v for v in remove if session.compare(dn, member, v)]
                if add and placeholder and not session.compare(dn, member, placeholder):
                    placeholder = None
            elif exc.result == OBJECT_CLASS_VIOLATION and placeholder and not add and not keep_placeholder:
                keep_placeholder = True
            else:
                raise
    raise ConstraintViolation(f"{dn}: the membership change kept failing; try again")


def _one_by_one(
    session: Session, dn: str, member: str, placeholder: str | None, *, add: list[str], remove: list[str]
) -> None:
    if add:
        _apply(session, dn, member, MODIFY_ADD, add, ATTRIBUTE_OR_VALUE_EXISTS)
        if placeholder:
            _apply(session, dn, member, MODIFY_DELETE, [placeholder], NO_SUCH_ATTRIBUTE)
    if remove:
        try:
            _apply(session, dn, member, MODIFY_DELETE, remove, NO_SUCH_ATTRIBUTE)
        except ldap_exc.LDAPOperationResult as exc:
            if exc.result != OBJECT_CLASS_VIOLATION or not placeholder:
                raise
            _apply(session, dn, member, MODIFY_ADD, [placeholder], ATTRIBUTE_OR_VALUE_EXISTS)
            _apply(session, dn, member, MODIFY_DELETE, remove, NO_SUCH_ATTRIBUTE)


def _apply(session: Session, dn: str, member: str, operation: str, values: list[str], benign: int) -> None:
    """MODIFY `operation` of `values`; a batch that fails with `benign` is split until the offending values are
    found and skipped (each alone is a no-op by set semantics)."""
    try:
        session.modify(dn, {member: [(operation, values)]})
    except ldap_exc.LDAPOperationResult as exc:
        if exc.result != benign:
            raise
        if len(values) == 1:
            return
        middle = len(values) // 2
        _apply(session, dn, member, operation, values[:middle], benign)
        _apply(session, dn, member, operation, values[middle:], benign)


# -- references to a renamed or deleted entry ---------------------------------------------------------------------


def replace_references(session: Session, directory: Directory, old: str, new: str | None, reference: str) -> None:
    """In every group whose member values name `old` (a DN or an attribute value, per `reference`), put `new`
    instead (or just remove it when `new` is None)."""
    for group in directory.groups():
        member = group.target.member_attribute
        if not group.target.maintain_member_references or group.target.member_reference != reference or not member:
            continue
        inner = f"({member}={escape_filter_chars(old)})"
        holders = [e.dn for e in session.paged(group.target.base_dn, classes_filter(group, inner), "subtree", [])]
        for holder in holders:
            modify(session, holder, group, {}, add=[new] if new else [], remove=[old], clear=False)
