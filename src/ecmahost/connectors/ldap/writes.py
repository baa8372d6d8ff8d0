"""Write objects: add an entry built from a record and the DN template (creating missing `ou=` parents when
configured), modify it (rename with modify DN when a value that names it changes), delete it, and keep group
member values pointing at renamed or deleted entries.

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
from ecmahost.connectors.errors import ConfigurationError, ConstraintViolation
from ecmahost.connectors.ldap import dn as dns
from ecmahost.connectors.ldap import members
from ecmahost.connectors.ldap.directory import Directory
from ecmahost.connectors.ldap.session import Session
from ecmahost.connectors.ldap.spec import ObjectSpec
from ecmahost.connectors.ldap.values import DN_ATTRIBUTE, ssha, to_ldap
from ecmahost.connectors.query import MEMBERS, Change, Record

logger = logging.getLogger(__name__)
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_FIRST_RDN = re.compile(r"^((?:[^,\\]|\\.)*)")


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
    except ldap_exc.LDAPNoSuchObjectResult:
        if not spec.target.create_missing_ous:
            raise ConstraintViolation(
                f"the parent of {dn} does not exist: create it, or set `create_missing_ous: true`"
            ) from None
        create_parents(session, dn, spec.target.base_dn, directory.settings.base_dns)
        session.add(dn, attributes)
    return dn


def _with_defaults(spec: ObjectSpec, values: dict[str, Any]) -> dict[str, Any]:
    for name, template in spec.target.create_defaults.items():
        if dns.lookup(values, name) not in (None, "", []):
            continue
        filled = _fill(template, values)
        if filled:
            values[name] = filled
    return values


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


def create_parents(session: Session, dn: str, base: str, bases: list[str]) -> None:
    """Create the missing `ou=` entries above the entry at `dn`, top-down: the object type's base DN and what is
    below it, or below one of the connector's `base_dns`."""
    missing = []
    for parent in dns.parents(dn):
        if session.read(parent, []) is not None:
            break
        if not dns.is_under(parent, base) and not _inside(parent, bases):
            raise ConstraintViolation(f"{parent} does not exist and is outside the base DN {base}")
        missing.append(parent)
    for parent in reversed(missing):
        rdn, _ = dns.split(parent)
        if len(rdn) != 1 or rdn[0][0].lower() != "ou":
            raise ConstraintViolation(f"{parent} does not exist; only missing ou= entries are created")
        try:
            session.add(parent, {"objectClass": ["top", "organizationalUnit"], "ou": [dns.unescape(rdn[0][1])]})
        except ldap_exc.LDAPEntryAlreadyExistsResult:
            continue  # created by a concurrent request


def _inside(dn: str, bases: list[str]) -> bool:
    return any(dns.is_under(dn, b) and dns.normalize(dn) != dns.normalize(b) for b in bases)


def modify(
    session: Session,
    directory: Directory,
    spec: ObjectSpec,
    dn: str,
    change: Change,
    add_values: list[str],
    remove_values: list[str],
) -> None:
    """Apply `change` to the entry at `dn` (member anchors already translated into values)."""
    assignments = _assignments(spec, change.set)
    new_dn = _renamed_dn(session, spec, dn, change.set, assignments)
    if new_dn is not None:
        if spec.anchor == DN_ATTRIBUTE:
            raise ConstraintViolation(f"the DN is the anchor (id) of {spec.object_type}: it cannot change")
        directory.check_base(new_dn)
        rdn, parent = dns.split(new_dn)
        old_parent = dns.split(dn)[1]
        moved = dns.normalize(parent) != dns.normalize(old_parent)
        session.modify_dn(dn, dns.rdn_string(rdn), parent if moved else None)
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
            _undo_rename(session, new_dn, dn)
        raise
    if new_dn is not None:
        members.replace_references(session, directory, dn, new_dn, DN_ATTRIBUTE)


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


def _renamed_dn(
    session: Session, spec: ObjectSpec, dn: str, values: Mapping[str, Any], assignments: Mapping[str, Any]
) -> str | None:
    """The entry's new DN when `values` change what names it (`-dn-`, or an attribute of the first RDN or
    of the template's first RDN), else None."""
    explicit = values.get(DN_ATTRIBUTE)
    if explicit:
        dns.parse(str(explicit))
        return None if dns.normalize(str(explicit)) == dns.normalize(dn) else str(explicit)
    _, parent = dns.split(dn)
    template_rdn = _FIRST_RDN.match(spec.target.dn_template or "")
    names = _PLACEHOLDER.findall(template_rdn[1]) if template_rdn else []
    touched = [n for n in names if any(k.lower() == n.lower() for k in values)]
    if touched:
        current = session.read(dn, [n for n in names if n not in touched]) if len(touched) < len(names) else None
        merged: dict[str, Any] = {n: v[0].decode("utf-8") for n in names if current and (v := current.get(n))}
        merged.update({k: v for k, v in values.items() if k != DN_ATTRIBUTE})
        assert template_rdn is not None
        rdn = dns.fill_template(template_rdn[1], merged, spec.types)
        changed = dns.normalize(rdn) != dns.normalize(dns.rdn_string(dns.split(dn)[0]))
        return f"{rdn},{parent}" if changed else None
    rdn = dns.renamed(dn, values, spec.types)
    return f"{rdn},{parent}" if rdn is not None else None


def _undo_rename(session: Session, new_dn: str, old_dn: str) -> None:
    rdn, parent = dns.split(old_dn)
    moved = dns.normalize(parent) != dns.normalize(dns.split(new_dn)[1])
    try:
        session.modify_dn(new_dn, dns.rdn_string(rdn), parent if moved else None)
    except (ldap_exc.LDAPException, OSError):
        logger.warning("could not undo the rename of %s to %s after a failed modify", old_dn, new_dn, exc_info=True)


def delete(session: Session, directory: Directory, spec: ObjectSpec, dn: str) -> None:
    """Delete the entry at `dn`, then remove it from the groups that name it."""
    references = {g.target.member_reference for g in directory.groups()} - {DN_ATTRIBUTE}
    values = {}
    if references:
        entry = session.read(dn, sorted(references))
        values = {r: v[0].decode("utf-8") for r in references if entry is not None and (v := entry.get(r))}
    session.delete(dn)
    members.replace_references(session, directory, dn, None, DN_ATTRIBUTE)
    for reference, value in values.items():
        members.replace_references(session, directory, value, None, reference)
