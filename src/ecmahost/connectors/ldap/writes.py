"""Write objects: add an entry built from a record and the DN template (creating missing `ou=` parents when
configured), modify it (renamed or moved by `placement` when a value that places it changes), delete it, and keep
group member values (DNs, or e.g. uids for memberUid groups) and reference attributes pointing at renamed, moved
or deleted entries.

Set attributes are written with MODIFY_REPLACE; cleared ones with MODIFY_REPLACE of no values, the RFC 4511 way to
delete an attribute that is a no-op when it is already absent (MODIFY_DELETE would fail with noSuchAttribute).
The password attribute is written on create only (Entra sends initial passwords only) and hashed `{SSHA}` when
`hash_passwords` is set. LDAP has no multi-entry transactions: a rename is undone when the modify after it fails.
It runs calls on a `Session` and translates only errors whose meaning depends on the operation.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any

from ldap3 import MODIFY_REPLACE
from ldap3.core import exceptions as ldap_exc

from ecmahost.config.model import AnchorGeneration
from ecmahost.connectors.errors import ConfigurationError, ConstraintViolation, ObjectExists, Problem
from ecmahost.connectors.ldap import dn as dns
from ecmahost.connectors.ldap import members, placement, references
from ecmahost.connectors.ldap.directory import Directory
from ecmahost.connectors.ldap.session import Entry, Session
from ecmahost.connectors.ldap.spec import ObjectSpec
from ecmahost.connectors.ldap.values import DN_ATTRIBUTE, ssha, to_ldap
from ecmahost.connectors.query import MEMBERS, Change, Record

logger = logging.getLogger(__name__)
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def add(session: Session, directory: Directory, spec: ObjectSpec, record: Record, member_values: list[str]) -> str:
    """Add the entry for `record`; return its DN."""
    values = _with_defaults(spec, {k: v for k, v in record.items() if k not in (MEMBERS, DN_ATTRIBUTE)})
    _anchor_on_create(spec, values)
    dn = _new_dn(spec, record, values)
    directory.check_base(dn)
    attributes: dict[str, list[Any]] = {"objectClass": list(spec.target.object_classes)}
    for name, value in values.items():
        ldap_values = _ldap_values(spec, name, value, creating=True)
        if ldap_values:
            attributes[name] = ldap_values
    for attribute, value in dns.rdn_values(dn).items():
        if not any(name.lower() == attribute for name in attributes):
            attributes[attribute] = [value]
    if spec.is_group:
        initial = members.initial_values(spec, member_values)
        if initial:
            attributes[spec.target.member_attribute or ""] = initial
    try:
        session.add(dn, attributes)
    except ldap_exc.LDAPEntryAlreadyExistsResult:
        raise _name_taken(spec, dn) from None
    except ldap_exc.LDAPNoSuchObjectResult:
        if not spec.target.create_missing_ous:
            raise ConstraintViolation(
                f"the parent of {dn} does not exist: create it, or set `create_missing_ous: true`"
            ) from None
        placement.create_parents(session, dn, spec.target.base_dn, directory.settings.base_dns)
        session.add(dn, attributes)
    return dn


def _name_taken(spec: ObjectSpec, dn: str) -> ObjectExists:
    """Another entry already has the name `dn`: the attribute its RDN is made of is taken (the value is not said)."""
    named = [name for name in spec.types if name.lower() in dns.rdn_values(dn)]
    if len(named) != 1:
        return ObjectExists(f"another {spec.object_type} entry already has this name")
    return ObjectExists(
        f"{named[0]}: the value is already taken (it names the entry)", attribute=named[0], problem=Problem.TAKEN
    )


def _with_defaults(spec: ObjectSpec, values: dict[str, Any]) -> dict[str, Any]:
    for name, template in spec.target.create_defaults.items():
        if dns.lookup(values, name) not in (None, "", []):
            continue
        filled = _fill(template, values)
        if filled:
            values[name] = filled
    return values


def cleared_defaults(spec: ObjectSpec, values: Mapping[str, Any]) -> list[str]:
    """The `create_defaults` attributes that `values` (an update's set) removes: they get their template again."""
    return [name for name in spec.target.create_defaults if name in values and dns.lookup(values, name) in _EMPTY]


def template_inputs(spec: ObjectSpec, names: list[str]) -> list[str]:
    """The attributes the templates of `names` read, to fetch from the entry."""
    return list(dict.fromkeys(p for name in names for p in _PLACEHOLDER.findall(spec.target.create_defaults[name])))


def refill_defaults(spec: ObjectSpec, values: Mapping[str, Any], names: list[str], entry: Entry) -> dict[str, Any]:
    """`values` with each removed `create_defaults` attribute set to its template filled as on create, from the
    values `values` sets and else the entry's (RFC 7644 §3.5.2.2 makes a removed attribute unassigned; for one the
    directory requires, the value it would get on create is the closest thing); ConstraintViolation naming it when
    the template cannot be filled."""
    current = {name: [v.decode("utf-8", "replace") for v in found] for name, found in entry.values.items()}
    merged = {**current, **{k: v for k, v in values.items() if v not in _EMPTY}}
    refilled = dict(values)
    for name in names:
        filled = _fill(spec.target.create_defaults[name], merged)
        if not filled:
            raise ConstraintViolation(
                f"{name} cannot be removed: the directory needs a value there and its default "
                f"({spec.target.create_defaults[name]}) has nothing to be made from; give it a value instead",
                attribute=name,
                problem=Problem.REQUIRED,
            )
        refilled[name] = filled
    return refilled


_EMPTY = (None, "", [])


def _fill(template: str, values: Mapping[str, Any]) -> str | None:
    parts = {}
    for name in _PLACEHOLDER.findall(template):
        value = dns.lookup(values, name)
        if isinstance(value, list):
            value = value[0] if value else None
        if value in (None, ""):
            return None
        parts[name] = str(value)
    return _PLACEHOLDER.sub(lambda m: parts[m[1]], template)


def _anchor_on_create(spec: ObjectSpec, values: dict[str, Any]) -> None:
    if spec.anchor == DN_ATTRIBUTE:
        return
    given = dns.lookup(values, spec.anchor)
    if spec.generate is AnchorGeneration.TARGET:
        for key in [k for k in values if k.lower() == spec.anchor.lower()]:
            del values[key]  # operational (entryUUID, nsUniqueId, objectGUID): the server sets it
    elif given in (None, ""):
        if spec.generate is AnchorGeneration.NONE:
            raise ConstraintViolation(f"{spec.anchor} is required: it is the anchor of {spec.object_type}")
        values[spec.anchor] = str(uuid.uuid4())


def _new_dn(spec: ObjectSpec, record: Record, values: Mapping[str, Any]) -> str:
    explicit = record.get(DN_ATTRIBUTE)
    if explicit:
        dns.parse(str(explicit))
        dn = str(explicit)
    elif spec.target.dn_template:
        dn = dns.fill_template(spec.target.dn_template, values, spec.types)
    else:
        raise ConfigurationError(f"{spec.object_type}: set `dn_template`, or map an attribute to {DN_ATTRIBUTE}")
    if not dns.is_under(dn, spec.target.base_dn) or dns.normalize(dn) == dns.normalize(spec.target.base_dn):
        raise ConstraintViolation(f"{dn} is not under the object type's base DN {spec.target.base_dn}")
    return dn


def _ldap_values(spec: ObjectSpec, name: str, value: Any, *, creating: bool) -> list[Any]:
    items = value if isinstance(value, list) else [value]
    items = [v for v in items if v is not None and v != ""]
    if spec.password and name.lower() == spec.password.lower():
        if not creating:
            return []
        return [ssha(str(v)) if spec.target.hash_passwords else str(v) for v in items]
    return [to_ldap(name, spec.attribute_type(name), v) for v in items]


def modify(
    session: Session,
    directory: Directory,
    spec: ObjectSpec,
    dn: str,
    change: Change,
    add_values: list[str],
    remove_values: list[str],
) -> None:
    """Apply `change` to the entry at `dn` (member anchors and reference anchors already translated)."""
    assignments = _assignments(spec, change.set)
    new_dn = placement.new_dn(session, spec, dn, change.set)
    referenced = _member_references(session, directory, dn, change.set)
    if new_dn is not None:
        if spec.anchor == DN_ATTRIBUTE:
            raise ConstraintViolation(f"the DN is the anchor (id) of {spec.object_type}: it cannot change")
        try:
            placement.move(session, directory, spec, dn, new_dn)
        except ldap_exc.LDAPEntryAlreadyExistsResult:
            raise _name_taken(spec, new_dn) from None
    target = new_dn or dn
    changes = {name: [(MODIFY_REPLACE, values)] for name, values in assignments.items()}
    try:
        members.modify(
            session,
            target,
            spec if spec.is_group else None,
            changes,
            add=add_values,
            remove=remove_values,
            clear=change.clear_members,
        )
    except Exception:
        if new_dn is not None:
            placement.undo(session, new_dn, dn)
        raise
    if new_dn is not None:
        members.replace_references(session, directory, dn, new_dn, DN_ATTRIBUTE)
        references.replace_dn(session, directory, dn, new_dn)
    for reference, old in referenced.items():
        new = _first(dns.lookup(change.set, reference))
        if new != old:
            members.replace_references(session, directory, old, new, reference)


def _member_references(
    session: Session, directory: Directory, dn: str, values: Mapping[str, Any] | None
) -> dict[str, str]:
    """reference attribute -> current value, for the attributes groups name members by (`memberUid` groups:
    `member_reference: uid`) that `values` change (None: all of them); read before a change or a delete, to fix
    those groups after it."""
    touched = sorted({g.target.member_reference for g in directory.groups()} - {DN_ATTRIBUTE})
    if values is not None:
        touched = [r for r in touched if any(k.lower() == r.lower() for k in values)]
    entry = session.read(dn, touched) if touched else None
    return {r: raw[0].decode("utf-8") for r in touched if entry is not None and (raw := entry.get(r))}


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return None if value in (None, "") else str(value)


def _assignments(spec: ObjectSpec, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    assignments = {}
    for name, value in values.items():
        if name == DN_ATTRIBUTE:
            continue
        if spec.password and name.lower() == spec.password.lower():
            logger.info("%s: a password change is not written (initial passwords only)", spec.object_type)
            continue
        if name.lower() == spec.anchor.lower():
            if spec.generate is AnchorGeneration.TARGET:
                continue
            raise ConstraintViolation(f"{name} is the anchor of {spec.object_type}: it cannot change")
        if spec.canonical(name) is None:
            raise ConfigurationError(f"{name!r} is not a configured attribute of {spec.object_type}")
        assignments[name] = _ldap_values(spec, name, value, creating=False)
    return assignments


def delete(session: Session, directory: Directory, spec: ObjectSpec, dn: str) -> None:
    """Delete the entry at `dn`, then remove it from the groups and reference attributes that name it."""
    named_by = _member_references(session, directory, dn, None)
    session.delete(dn)
    members.replace_references(session, directory, dn, None, DN_ATTRIBUTE)
    references.replace_dn(session, directory, dn, None)
    for reference, value in named_by.items():
        members.replace_references(session, directory, value, None, reference)
