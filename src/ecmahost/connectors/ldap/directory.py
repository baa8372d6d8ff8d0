"""`Directory`: every object type of one connector and the server facts that shape filters, plus finding one
entry by its anchor.

Anchors are strings. A search on the anchor attribute (`entryUUID`, `nsUniqueId`, `objectGUID`, a mapped
attribute) finds an entry; with `-dn-` the anchor is the DN and a base-scope read finds it. Nothing outside the
object type's `base_dn` and classes is ever found.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ldap3.core.exceptions import LDAPInvalidDNSyntaxResult, LDAPInvalidValueError, LDAPNoSuchObjectResult
from ldap3.protocol.convert import validate_attribute_value
from ldap3.utils.conv import escape_bytes, escape_filter_chars

from ecmahost.connectors.errors import ConfigurationError, ConstraintViolation, ObjectNotFound
from ecmahost.connectors.ldap import dn as dns
from ecmahost.connectors.ldap.filter import FilterScope, object_filter
from ecmahost.connectors.ldap.models import LdapConnection
from ecmahost.connectors.ldap.session import Entry, ServerFeatures, Session
from ecmahost.connectors.ldap.spec import ObjectSpec
from ecmahost.connectors.ldap.values import DN_ATTRIBUTE, anchor_assertion, anchor_from_ldap

ANCHOR_CHUNK = 100
"""Anchors per `(|(anchor=a)(anchor=b)...)` search."""


@dataclass(frozen=True, slots=True)
class Directory:
    specs: dict[str, ObjectSpec]
    settings: LdapConnection

    def spec(self, object_type: str) -> ObjectSpec:
        try:
            return self.specs[object_type]
        except KeyError:
            raise ConfigurationError(f"object type {object_type!r} is not configured for this connector") from None

    def dn_attribute(self, features: ServerFeatures) -> str:
        if self.settings.dn_attribute:
            return self.settings.dn_attribute
        return "distinguishedName" if features.active_directory else "entryDN"

    def member_types(self) -> list[ObjectSpec]:
        """Object types whose entries can be members: plain types first, then groups (nested groups)."""
        return sorted(self.specs.values(), key=lambda s: s.is_group)

    def groups(self) -> list[ObjectSpec]:
        return [s for s in self.specs.values() if s.is_group]

    def scope(self, spec: ObjectSpec, features: ServerFeatures, members: dict[str, str] | None = None) -> FilterScope:
        return FilterScope(
            types=spec.types,
            anchor=spec.anchor,
            dn_attribute=self.dn_attribute(features),
            member_attribute=spec.target.member_attribute,
            member_values=members or {},
            empty_member=spec.target.empty_member_dn,
            hidden=frozenset({spec.password.lower()}) if spec.password else frozenset(),
        )

    def check_base(self, dn: str) -> None:
        """Writes stay inside the configured partitions (`base_dns`), when there are any."""
        bases = self.settings.base_dns
        if bases and not any(dns.is_under(dn, base) for base in bases):
            raise ConstraintViolation(f"{dn} is outside the connector's base DNs ({'; '.join(bases)})")


def classes_filter(spec: ObjectSpec, inner: str | None = None) -> str:
    return object_filter(spec.target.object_classes, spec.target.search_filter, inner)


def anchor_attributes(spec: ObjectSpec) -> list[str]:
    return [] if spec.anchor == DN_ATTRIBUTE else [spec.anchor]


def anchor_of(spec: ObjectSpec, entry: Entry) -> str | None:
    if spec.anchor == DN_ATTRIBUTE:
        return entry.dn
    raw = entry.get(spec.anchor)
    return anchor_from_ldap(spec.anchor, raw[0]) if raw else None


def find(session: Session, spec: ObjectSpec, anchor: str, attributes: Sequence[str]) -> Entry:
    """The entry of `spec` whose anchor is `anchor`, with `attributes`; ObjectNotFound when there is none."""
    found = find_many(session, spec, [anchor], attributes)
    entry = found.get(anchor)
    if entry is None:
        raise ObjectNotFound(f"{spec.object_type} {anchor} not found")
    return entry


def find_many(
    session: Session, spec: ObjectSpec, anchors: Iterable[str], attributes: Sequence[str]
) -> dict[str, Entry]:
    """anchor -> entry for those of `anchors` that exist (in chunks; one base read each for `-dn-` anchors)."""
    wanted = list(dict.fromkeys(anchors))
    base = spec.target.base_dn
    found: dict[str, Entry] = {}
    if spec.anchor == DN_ATTRIBUTE:
        for anchor in wanted:
            if not _valid_dn(anchor) or not dns.is_under(anchor, base) or dns.normalize(anchor) == dns.normalize(base):
                continue
            entries = _base_search(session, anchor, classes_filter(spec), attributes)
            if entries:
                found[anchor] = entries[0]
        return found
    requested = [*attributes, spec.anchor] if spec.anchor not in attributes else list(attributes)
    for start in range(0, len(wanted), ANCHOR_CHUNK):
        chunk = wanted[start : start + ANCHOR_CHUNK]
        try:
            entries = _by_anchors(session, spec, chunk, requested)
        except LDAPInvalidValueError:  # ldap3 checks values against the server's schema: `nope` is no entryUUID
            entries = _by_anchors(session, spec, [a for a in chunk if _valid_anchor(session, spec, a)], requested)
        for entry in entries:
            anchor = anchor_of(spec, entry)
            if anchor is not None:
                found.setdefault(_match(anchor, wanted), entry)
    return found


def _by_anchors(session: Session, spec: ObjectSpec, anchors: Sequence[str], requested: list[str]) -> list[Entry]:
    parts = []
    for anchor in anchors:
        value = anchor_assertion(spec.anchor, anchor)
        if value is not None:
            escaped = escape_bytes(value) if isinstance(value, bytes) else escape_filter_chars(value)
            parts.append(f"({spec.anchor}={escaped})")
    if not parts:
        return []
    inner = parts[0] if len(parts) == 1 else f"(|{''.join(parts)})"
    base, scope = spec.target.base_dn, spec.target.scope
    return list(session.paged(base, classes_filter(spec, inner), scope, requested))


def _valid_anchor(session: Session, spec: ObjectSpec, anchor: str) -> bool:
    """Whether the server's schema, as ldap3 checks it before sending, accepts `anchor` as a value of the anchor
    attribute (no round trip); an anchor it refuses names no entry."""
    value = anchor_assertion(spec.anchor, anchor)
    try:
        validate_attribute_value(session.conn.server.schema, spec.anchor, value, session.conn.auto_encode)
    except LDAPInvalidValueError:
        return False
    return True


def _match(anchor: str, wanted: list[str]) -> str:
    """The requested spelling of a found anchor (servers may return another case)."""
    lowered = anchor.lower()
    return next((w for w in wanted if w.lower() == lowered), anchor)


def _base_search(session: Session, dn: str, filter_: str, attributes: Sequence[str]) -> list[Entry]:
    try:
        return session.search(dn, filter_, "base", attributes)
    except (LDAPNoSuchObjectResult, LDAPInvalidDNSyntaxResult):
        return []


def _valid_dn(value: str) -> bool:
    try:
        dns.parse(value)
    except ConstraintViolation:
        return False
    return bool(value)
