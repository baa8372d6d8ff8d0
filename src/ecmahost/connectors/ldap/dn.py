"""Distinguished names: fill a DN template from a record, read and replace the RDN, list parents, compare DNs.

Values are escaped with `ldap3.utils.dn.escape_rdn`; nothing here pastes a raw value into a DN. It does not talk
to a server (creating missing parents is `writes`' job).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ldap3.core.exceptions import LDAPInvalidDnError
from ldap3.utils.dn import escape_rdn, parse_dn

from ecmahost.config.model import AttributeType
from ecmahost.connectors.errors import ConstraintViolation
from ecmahost.connectors.ldap.values import to_ldap

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_HEX_ESCAPE = re.compile(r"\\([0-9A-Fa-f]{2})|\\(.)")

Rdn = list[tuple[str, str]]
"""(attribute, escaped value) pairs of one RDN (several when it is multi-valued, `cn=a+uid=b`)."""


def fill_template(template: str, record: Mapping[str, Any], types: Mapping[str, AttributeType]) -> str:
    """The DN for `record`; each `{attribute}` becomes its RDN-escaped value (the first one of a list)."""

    def value_of(match: re.Match[str]) -> str:
        name = match[1]
        value = lookup(record, name)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is None or value == "":
            raise ConstraintViolation(f"{name} is required: the DN template {template!r} names the entry with it")
        text = to_ldap(name, types.get(name, AttributeType.STRING), value)
        if isinstance(text, bytes):
            raise ConstraintViolation(f"{name}: a binary value cannot be part of a DN")
        return escape_value(text)

    return _PLACEHOLDER.sub(value_of, template)


def escape_value(text: str) -> str:
    """`ldap3.utils.dn.escape_rdn`, plus `#` escaped everywhere (RFC 4514 allows it; ldap3's own DN parser
    rejects an unescaped `#` inside a value)."""
    return "\\#".join(escape_rdn(piece) if piece else "" for piece in text.split("#"))


def lookup(record: Mapping[str, Any], name: str) -> Any:
    """`record[name]`, matching the attribute name case-insensitively as LDAP does."""
    if name in record:
        return record[name]
    lowered = name.lower()
    return next((v for k, v in record.items() if k.lower() == lowered), None)


def parse(dn: str) -> list[tuple[str, str, str]]:
    try:
        return parse_dn(dn)
    except LDAPInvalidDnError:
        raise ConstraintViolation(f"not a valid DN: {dn!r}") from None


def split(dn: str) -> tuple[Rdn, str]:
    """The first RDN of `dn` and its parent DN."""
    parts = parse(dn)
    rdn: Rdn = []
    index = 0
    for index, (attribute, value, separator) in enumerate(parts):  # noqa: B007 - index is used after the loop
        rdn.append((attribute, value))
        if separator != "+":
            break
    parent = ",".join(f"{a}={v}" for a, v, _ in parts[index + 1 :])
    return rdn, parent


def rdn_string(rdn: Rdn) -> str:
    return "+".join(f"{attribute}={value}" for attribute, value in rdn)


def unescape(value: str) -> str:
    """An escaped DN value as text (`\\2C` and `\\,` both become `,`)."""
    raw = bytearray()
    position = 0
    for match in _HEX_ESCAPE.finditer(value):
        raw += value[position : match.start()].encode("utf-8")
        raw += bytes.fromhex(match[1]) if match[1] else match[2].encode("utf-8")
        position = match.end()
    raw += value[position:].encode("utf-8")
    return raw.decode("utf-8", errors="replace")


def rdn_values(dn: str) -> dict[str, str]:
    """Attribute (lower case) -> unescaped value, for the first RDN of `dn`."""
    rdn, _ = split(dn)
    return {attribute.lower(): unescape(value) for attribute, value in rdn}


def renamed(dn: str, changes: Mapping[str, Any], types: Mapping[str, AttributeType]) -> str | None:
    """The new RDN when `changes` give an RDN attribute a different value, else None. Clearing one is an error."""
    rdn, _ = split(dn)
    new: Rdn = []
    changed = False
    for attribute, value in rdn:
        if not _has(changes, attribute):
            new.append((attribute, value))
            continue
        wanted = lookup(changes, attribute)
        if isinstance(wanted, list):
            wanted = wanted[0] if wanted else None
        if wanted is None or wanted == "":
            raise ConstraintViolation(f"{attribute} names the entry ({dn}): it cannot be cleared")
        text = to_ldap(attribute, types.get(attribute, AttributeType.STRING), wanted)
        if isinstance(text, bytes):
            raise ConstraintViolation(f"{attribute}: a binary value cannot be part of a DN")
        changed = changed or text.lower() != unescape(value).lower()
        new.append((attribute, escape_value(text)))
    return rdn_string(new) if changed else None


def _has(mapping: Mapping[str, Any], name: str) -> bool:
    lowered = name.lower()
    return any(key.lower() == lowered for key in mapping)


def parents(dn: str) -> list[str]:
    """Every ancestor of `dn`, nearest first."""
    parts = parse(dn)
    found = []
    for index in range(1, len(parts)):
        if parts[index - 1][2] == "+":
            continue
        found.append(",".join(f"{a}={v}" for a, v, _ in parts[index:]))
    return found


def normalize(dn: str) -> str:
    """A comparable form: attribute types and values in lower case, escapes resolved, no spaces around `=`.
    Good for the naming attributes directories compare case-insensitively (cn, uid, ou, dc)."""
    try:
        parts = parse_dn(dn)
    except LDAPInvalidDnError:
        return dn.lower()
    return "".join(f"{a.strip().lower()}={unescape(v.strip()).lower()}{s}" for a, v, s in parts)


def is_under(dn: str, base: str) -> bool:
    normal, normal_base = normalize(dn), normalize(base)
    return normal == normal_base or normal.endswith("," + normal_base)
