"""Where an entry lives: its DN after a change, moving it there (modify DN), undoing a move, and creating the
missing `ou=` parents of a new place.

The DN changes when the client sets `-dn-`, or when a change touches a placeholder of the object type's
`dn_template`: one in the first RDN renames the entry in place, one further up (`ou={department}`) moves it
under the parent the template gives. A change to an attribute of the entry's own RDN renames it too, template
or not. Values are RDN-escaped by `dn.fill_template`. It runs calls on a `Session` and translates only the
errors whose meaning depends on the operation (a missing new parent).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from ldap3.core import exceptions as ldap_exc

from ecmahost.connectors.errors import ConstraintViolation
from ecmahost.connectors.ldap import dn as dns
from ecmahost.connectors.ldap.directory import Directory
from ecmahost.connectors.ldap.session import Session
from ecmahost.connectors.ldap.spec import ObjectSpec
from ecmahost.connectors.ldap.values import DN_ATTRIBUTE

logger = logging.getLogger(__name__)
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_FIRST_RDN = re.compile(r"^((?:[^,\\]|\\.)*),?")


def new_dn(session: Session, spec: ObjectSpec, dn: str, values: Mapping[str, Any]) -> str | None:
    """The entry's DN after `values` are written, when it differs from `dn`; else None."""
    explicit = values.get(DN_ATTRIBUTE)
    if explicit:
        dns.parse(str(explicit))
        return None if dns.normalize(str(explicit)) == dns.normalize(dn) else str(explicit)
    rdn, parent = dns.split(dn)
    renamed = dns.renamed(dn, values, spec.types)
    rdn_text = renamed if renamed is not None else dns.rdn_string(rdn)
    template = spec.target.dn_template
    if template:
        template_rdn, template_parent = split_template(template)
        rdn_names, parent_names = _PLACEHOLDER.findall(template_rdn), _PLACEHOLDER.findall(template_parent)
        if _touches(values, rdn_names) or _touches(values, parent_names):
            merged = _current_values(session, dn, [*rdn_names, *parent_names], values)
            if _touches(values, rdn_names):
                rdn_text = dns.fill_template(template_rdn, merged, spec.types)
            if _touches(values, parent_names):
                parent = dns.fill_template(template_parent, merged, spec.types)
    target = f"{rdn_text},{parent}" if parent else rdn_text
    return None if dns.normalize(target) == dns.normalize(dn) else target


def split_template(template: str) -> tuple[str, str]:
    """A DN template's first RDN and the rest (its parent)."""
    first = _FIRST_RDN.match(template)
    assert first is not None  # the pattern matches any text
    return first[1], template[first.end() :]


def _touches(values: Mapping[str, Any], names: list[str]) -> bool:
    return any(any(key.lower() == name.lower() for key in values) for name in names)


def _current_values(session: Session, dn: str, names: list[str], values: Mapping[str, Any]) -> dict[str, Any]:
    """`values`, plus the entry's current values of the template placeholders the change does not set."""
    missing = [n for n in dict.fromkeys(names) if not _touches(values, [n])]
    current = session.read(dn, missing) if missing else None
    merged: dict[str, Any] = {n: raw[0].decode("utf-8") for n in missing if current and (raw := current.get(n))}
    merged.update({k: v for k, v in values.items() if k != DN_ATTRIBUTE})
    return merged


def move(session: Session, directory: Directory, spec: ObjectSpec, dn: str, target: str) -> None:
    """Rename and/or move the entry at `dn` to `target`, creating missing `ou=` parents when configured."""
    directory.check_base(target)
    if not dns.is_under(target, spec.target.base_dn):
        raise ConstraintViolation(f"{target} is not under the object type's base DN {spec.target.base_dn}")
    rdn, parent = dns.split(target)
    moved = dns.normalize(parent) != dns.normalize(dns.split(dn)[1])
    try:
        session.modify_dn(dn, dns.rdn_string(rdn), parent if moved else None)
    except ldap_exc.LDAPNoSuchObjectResult:
        if not moved or session.read(parent, []) is not None:
            raise
        if not spec.target.create_missing_ous:
            raise ConstraintViolation(
                f"cannot move {dn}: its new parent {parent} does not exist; "
                "create it, or set `create_missing_ous: true`"
            ) from None
        create_parents(session, target, spec.target.base_dn, directory.settings.base_dns)
        session.modify_dn(dn, dns.rdn_string(rdn), parent)


def undo(session: Session, new: str, old: str) -> None:
    """Best effort: put the entry back at `old` after a later step failed."""
    rdn, parent = dns.split(old)
    moved = dns.normalize(parent) != dns.normalize(dns.split(new)[1])
    try:
        session.modify_dn(new, dns.rdn_string(rdn), parent if moved else None)
    except (ldap_exc.LDAPException, OSError):
        logger.warning("could not undo the rename of %s to %s after a failed modify", old, new, exc_info=True)


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
