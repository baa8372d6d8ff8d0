"""Conversion of SCIM JSON values to the Python values a connector stores, and back.

Entra's quirk handled here: booleans arrive as the strings "True"/"False" unless the tenant URL carries
`aadOptscim062020` (Microsoft: "Known issues and resolutions with SCIM 2.0 protocol compliance").
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ecmahost.config.model import AttributeType
from ecmahost.errors import InvalidValue


def _to_string(name: str, value: Any) -> str:
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidValue(f"{name} must not contain NUL characters")
        return value
    raise InvalidValue(f"{name} must be a string, got {type(value).__name__}")


def _to_boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise InvalidValue(f"{name} must be a boolean (true or false), got {value!r:.40}")


def _to_integer(name: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value)
    raise InvalidValue(f"{name} must be an integer, got {value!r:.40}")


def _to_decimal(name: str, value: Any) -> Decimal:
    if isinstance(value, bool):
        raise InvalidValue(f"{name} must be a number, got a boolean")
    try:
        return Decimal(str(value)) if isinstance(value, int | float | str) else Decimal("x")
    except InvalidOperation:
        raise InvalidValue(f"{name} must be a number, got {value!r:.40}") from None


def _to_datetime(name: str, value: Any) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise InvalidValue(f"{name} must be an xsd:dateTime such as 2024-05-01T12:00:00Z, got {value!r:.40}")


def _to_binary(name: str, value: Any) -> str:
    text = _to_string(name, value)
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidValue(f"{name} must be base64-encoded") from None
    return text


def _to_reference(name: str, value: Any) -> str:
    # Entra sends manager as [{"$ref": "...", "value": "<id>"}] or {"value": "<id>"}.
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("value")
    return _to_string(name, value)


CONVERTERS: dict[AttributeType, Callable[[str, Any], Any]] = {
    AttributeType.STRING: _to_string,
    AttributeType.BOOLEAN: _to_boolean,
    AttributeType.INTEGER: _to_integer,
    AttributeType.DECIMAL: _to_decimal,
    AttributeType.DATETIME: _to_datetime,
    AttributeType.BINARY: _to_binary,
    AttributeType.REFERENCE: _to_reference,
}


def from_scim(name: str, type_: AttributeType, value: Any) -> Any:
    """A SCIM JSON value -> the Python value stored; None stays None (it clears the attribute)."""
    if value is None:
        return None
    return CONVERTERS[type_](name, value)


TEXT_TYPES = frozenset({AttributeType.STRING, AttributeType.REFERENCE, AttributeType.BINARY})
"""SCIM types whose values are JSON strings (RFC 7643 §2.3)"""


def to_scim_text(value: Any) -> Any:
    """A stored value of an attribute whose SCIM type is a string (`TEXT_TYPES`) -> that string, whatever the
    target stores it as: an INTEGER column mapped to `externalId` or `manager.value` gives `"1"`, not `1`."""
    value = to_scim(value)
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def to_scim(value: Any) -> Any:
    """A stored Python value -> its SCIM JSON form."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value
