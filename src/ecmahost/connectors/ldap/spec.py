"""Resolve a configured object type into what reads and writes need: attribute types, which attributes are
multi-valued, the anchor, the LDAP attribute list to request, and the filter scope.

Pure data, built once per connector; it does not contact the server.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecmahost.config.model import AnchorGeneration, AttributeType, ObjectTypeConfig
from ecmahost.connectors.errors import ConfigurationError
from ecmahost.connectors.ldap.models import LdapObjectType
from ecmahost.connectors.ldap.values import DN_ATTRIBUTE
from ecmahost.connectors.query import META_CREATED, META_MODIFIED

CREATED = "createTimestamp"
MODIFIED = "modifyTimestamp"
STAMPS = {META_CREATED: CREATED, META_MODIFIED: MODIFIED}
"""the reserved `meta` keys -> the operational attributes every directory keeps (RFC 4512 §3.4.13)"""


@dataclass(frozen=True, slots=True)
class ObjectSpec:
    object_type: str
    target: LdapObjectType
    anchor: str
    """an attribute name, or `-dn-` when the DN is the anchor"""
    generate: AnchorGeneration
    types: dict[str, AttributeType]
    """configured attribute -> type, without `-dn-`"""
    multi: frozenset[str]
    """configured attributes returned as lists (lower case)"""
    exposes_dn: bool
    """`-dn-` is a selected attribute"""
    case_exact: frozenset[str] = frozenset()
    """configured attributes sorted case-sensitively"""
    references: tuple[str, ...] = ()
    """configured `type: reference` attributes: DNs in the directory, anchors in records (`references`)"""

    @property
    def is_group(self) -> bool:
        return self.target.member_attribute is not None

    @property
    def password(self) -> str | None:
        return self.target.password_attribute

    def readable(self, wanted: frozenset[str] | None) -> list[str]:
        """Configured attributes to return for `wanted` (None: all), never the password."""
        hidden = (self.password or "").lower()
        names = [n for n in self.types if n.lower() != hidden and (wanted is None or n in wanted)]
        if self.anchor != DN_ATTRIBUTE and self.anchor not in names:
            names.append(self.anchor)
        return names

    def attribute_type(self, name: str) -> AttributeType:
        found = self.types.get(name)
        if found is not None:
            return found
        lowered = name.lower()
        return next((t for n, t in self.types.items() if n.lower() == lowered), AttributeType.STRING)

    def is_multi(self, name: str) -> bool:
        return name.lower() in self.multi

    def is_reference(self, name: str) -> bool:
        lowered = name.lower()
        return any(r.lower() == lowered for r in self.references)

    def canonical(self, name: str) -> str | None:
        """The configured spelling of an attribute name returned by the server, or None when not configured."""
        if name in self.types:
            return name
        lowered = name.lower()
        return next((n for n in self.types if n.lower() == lowered), None)


def spec_of(name: str, object_type: ObjectTypeConfig, target: LdapObjectType) -> ObjectSpec:
    """The object type's spec from its generic settings and its LDAP keys (`Connector.targets`, typed once)."""
    attributes = object_type.attributes
    complex_names = [a for a, c in attributes.items() if c.type is AttributeType.COMPLEX]
    if complex_names:
        raise ConfigurationError(
            f"object_types.{name}.attributes: LDAP attributes are not complex ({', '.join(complex_names)}); "
            "use `multi_valued: true` for an attribute with several values"
        )
    anchor = object_type.anchor.attribute
    generate = object_type.anchor.generate
    if anchor == DN_ATTRIBUTE and generate is AnchorGeneration.UUID:
        generate = AnchorGeneration.TARGET  # the DN comes from the template: nothing to generate
    types = {a: c.type for a, c in attributes.items() if a != DN_ATTRIBUTE}
    if target.member_attribute and target.member_attribute in types:
        raise ConfigurationError(
            f"object_types.{name}: {target.member_attribute!r} is the member attribute; do not select it too"
        )
    return ObjectSpec(
        object_type=name,
        target=target,
        anchor=anchor,
        generate=generate,
        types=types,
        multi=frozenset(a.lower() for a, c in attributes.items() if c.multi_valued),
        exposes_dn=DN_ATTRIBUTE in attributes,
        case_exact=frozenset(a for a, c in attributes.items() if c.case_exact),
        references=tuple(a for a, t in types.items() if t is AttributeType.REFERENCE and a != anchor),
    )
