"""Rules a target without constraints cannot enforce by itself, and values for text-based targets.

`check_required` and `check_unique` apply the connector file's `required` and `unique` flags (and the anchor's
uniqueness) the way a database's NOT NULL and UNIQUE constraints would: `ConstraintViolation` and `ObjectExists`,
naming the attribute, never the value. `apply_change` applies a `Change` to a record. `to_text`/`from_text` convert
typed values to and from the strings a CSV cell or an environment variable holds. No I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from ecmahost.config.model import AttributeType, ObjectTypeConfig
from ecmahost.connectors.errors import ConstraintViolation, ObjectExists, Problem
from ecmahost.connectors.kit.evaluate import is_present
from ecmahost.connectors.query import MEMBERS, Change, Record


def check_required(object_type: ObjectTypeConfig, record: Record) -> None:
    """`ConstraintViolation` naming the first required attribute without a value."""
    for name, attribute in object_type.attributes.items():
        if attribute.required and not is_present(record.get(name)):
            raise ConstraintViolation(
                f"{name} is required by the target: send it", attribute=name, problem=Problem.REQUIRED
            )


def check_unique(object_type: ObjectTypeConfig, others: Iterable[Record], record: Record) -> None:
    """`ObjectExists` when `record` repeats the anchor or a `unique` attribute of another record (compared
    case-insensitively unless the attribute is `case_exact`). `others` must not contain `record` itself."""
    anchor = object_type.anchor.attribute
    keys = [name for name, a in object_type.attributes.items() if a.unique or name == anchor]
    wanted = {name: _unique_key(object_type, name, record.get(name)) for name in keys if is_present(record.get(name))}
    if not wanted:
        return
    for other in others:
        for name, value in wanted.items():
            if _unique_key(object_type, name, other.get(name)) == value:
                raise ObjectExists(f"{name}: the value is already taken", attribute=name, problem=Problem.TAKEN)


def _unique_key(object_type: ObjectTypeConfig, name: str, value: Any) -> Any:
    attribute = object_type.attributes.get(name)
    if isinstance(value, str) and not (attribute is not None and attribute.case_exact):
        return value.casefold()
    return value


def apply_change(record: Record, change: Change) -> Record:
    """A new record: `change.set` written (None removes), `replace` lists swapped whole, members added and
    removed as a set (order kept, no duplicates)."""
    updated = copy.deepcopy(record)
    for name, value in change.set.items():
        if value is None:
            updated.pop(name, None)
        else:
            updated[name] = value
    for name, elements in change.replace.items():
        updated[name] = copy.deepcopy(elements)
    if change.clear_members or change.add_members or change.remove_members:
        members = [] if change.clear_members else list(updated.get(MEMBERS) or [])
        removed = set(change.remove_members)
        members = [m for m in members if m not in removed]
        for member in change.add_members:
            if member not in members and member not in removed:
                members.append(member)
        updated[MEMBERS] = members
    return updated


def to_text(value: Any, kind: AttributeType) -> str:
    """The text form of a typed value: `true`/`false`, ISO 8601 in UTC, JSON for complex values, "" for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if kind is AttributeType.COMPLEX or isinstance(value, list | dict):
        return orjson.dumps(value, default=str).decode("utf-8")
    return str(value)


def from_text(text: str, kind: AttributeType, name: str) -> Any:
    """The typed value of a text cell ("" is None); `ConstraintViolation` naming `name` when it does not parse."""
    if text == "":
        return None
    try:
        return _PARSERS.get(kind, str)(text)
    except (ValueError, InvalidOperation, orjson.JSONDecodeError):
        raise ConstraintViolation(
            f"{name}: {text[:40]!r} is not a valid {kind.value}", attribute=name, problem=Problem.BAD_VALUE
        ) from None


def coerce(value: Any, kind: AttributeType, name: str) -> Any:
    """A value the host sent, as the attribute's type (a string "42" for an integer attribute becomes 42)."""
    if value is None or kind in (AttributeType.COMPLEX,) or isinstance(value, list):
        return value
    if isinstance(value, str):
        return from_text(value, kind, name)
    if kind is AttributeType.BOOLEAN and not isinstance(value, bool):
        raise ConstraintViolation(f"{name}: not a boolean", attribute=name, problem=Problem.BAD_VALUE)
    return value


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValueError(text)


def _datetime(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _decimal(text: str) -> float | int:
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() and "." not in text else float(number)


_PARSERS: dict[AttributeType, Any] = {
    AttributeType.BOOLEAN: _bool,
    AttributeType.INTEGER: int,
    AttributeType.DECIMAL: _decimal,
    AttributeType.DATETIME: _datetime,
    AttributeType.COMPLEX: orjson.loads,
}
