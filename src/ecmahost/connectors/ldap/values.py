"""Convert values between records and LDAP, by the configured attribute type; anchors; password hashes.

To LDAP: every value becomes bytes or str as LDAP syntaxes want them (Boolean `TRUE`/`FALSE`, Integer digits,
GeneralizedTime `YYYYMMDDHHMMSSZ`, binary as is). From LDAP: raw bytes become str, bool, int, aware UTC datetime
or bytes. Anchors are strings: `objectGUID` (AD LDS) is rendered as a GUID string and searched as escaped bytes.
It knows nothing about connections or filters' structure.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from datetime import UTC, datetime
from typing import Any

from ecmahost.config.model import AttributeType
from ecmahost.connectors.errors import ConstraintViolation

DN_ATTRIBUTE = "-dn-"
"""The pseudo-attribute that is the entry's DN (ECMA host's name for it)."""
BINARY_GUID_ANCHORS = frozenset({"objectguid"})
"""Anchors stored as a 16-byte GUID (AD LDS `objectGUID`), shown as a GUID string."""

_GENERALIZED = ("%Y%m%d%H%M%SZ", "%Y%m%d%H%M%S.%fZ", "%Y%m%d%H%MZ", "%Y%m%d%H%M%S%z", "%Y%m%d%H%M%S.%f%z")


def to_ldap(attribute: str, attribute_type: AttributeType, value: Any) -> bytes | str:
    """One record value as an LDAP value; ConstraintViolation when it does not fit the type."""
    try:
        return _to_ldap(attribute_type, value)
    except (TypeError, ValueError):
        raise ConstraintViolation(f"{attribute}: the value is not a valid {attribute_type.value}") from None


def _to_ldap(attribute_type: AttributeType, value: Any) -> bytes | str:
    if isinstance(value, bytes):
        return value
    if attribute_type is AttributeType.BOOLEAN or isinstance(value, bool):
        return "TRUE" if _to_bool(value) else "FALSE"
    if attribute_type is AttributeType.INTEGER:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return str(int(value))
    if attribute_type is AttributeType.DATETIME or isinstance(value, datetime):
        return generalized_time(value)
    if attribute_type is AttributeType.BINARY and isinstance(value, str):
        return base64.b64decode(value, validate=True)
    return value if isinstance(value, str) else str(value)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().upper() in ("TRUE", "FALSE"):
        return value.strip().upper() == "TRUE"
    raise ValueError(value)


def generalized_time(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise TypeError(value)
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y%m%d%H%M%SZ")


def from_ldap(attribute_type: AttributeType, raw: bytes) -> Any:
    """One raw LDAP value as a record value."""
    if attribute_type is AttributeType.BINARY:
        return raw
    text = raw.decode("utf-8", errors="replace")
    if attribute_type is AttributeType.BOOLEAN:
        return text.upper() == "TRUE"
    if attribute_type is AttributeType.INTEGER:
        try:
            return int(text)
        except ValueError:
            return text
    if attribute_type is AttributeType.DATETIME:
        return parse_generalized_time(text) or text
    return text


def parse_generalized_time(text: str) -> datetime | None:
    for pattern in _GENERALIZED:
        try:
            parsed = datetime.strptime(text, pattern)
        except ValueError:
            continue
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return None


def anchor_from_ldap(attribute: str, raw: bytes) -> str:
    if attribute.lower() in BINARY_GUID_ANCHORS and len(raw) == 16:
        return str(uuid.UUID(bytes_le=raw))
    return raw.decode("utf-8", errors="replace")


def anchor_assertion(attribute: str, anchor: str) -> bytes | str | None:
    """The value to search the anchor attribute for (not yet escaped); None when `anchor` cannot be one."""
    if attribute.lower() in BINARY_GUID_ANCHORS:
        try:
            return uuid.UUID(anchor).bytes_le
        except ValueError:
            return None
    return anchor


def ssha(password: str) -> str:
    """`{SSHA}` hash (salted SHA-1, RFC 2307 style) as OpenLDAP's `slappasswd -h {SSHA}` writes it."""
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode("utf-8") + salt).digest()  # noqa: S324 - the {SSHA} format
    return "{SSHA}" + base64.b64encode(digest + salt).decode("ascii")
