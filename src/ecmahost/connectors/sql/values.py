"""Convert values between records and columns, by the column's type (and the configured attribute type).

To the database: strings for string columns, ints, bools, `uuid.UUID` for UUID columns, and datetimes in UTC
(naive for columns without a time zone, such as MariaDB DATETIME and SQLite). From the database: bools for
boolean columns (MariaDB's TINYINT(1) too), timezone-aware UTC datetimes, strings for UUIDs, floats or ints for
decimals. It knows nothing about tables or statements.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column
from sqlalchemy import types as sqltypes

from ecmahost.config.model import AttributeType
from ecmahost.connectors.errors import ConstraintViolation, Problem

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def is_boolean(column: Column[Any]) -> bool:
    if isinstance(column.type, sqltypes.Boolean):
        return True
    return type(column.type).__name__ == "TINYINT" and getattr(column.type, "display_width", None) == 1


def is_string(column: Column[Any]) -> bool:
    return isinstance(column.type, sqltypes.String) and not isinstance(column.type, sqltypes.Enum | sqltypes.Uuid)


def to_db(column: Column[Any], value: Any) -> Any:
    """`value` as the driver wants it for `column`; ConstraintViolation when it cannot be converted."""
    if value is None:
        return None
    try:
        return _convert(column, value)
    except (TypeError, ValueError):
        raise ConstraintViolation(
            f"{column.name}: the value does not fit a {column.type} column",
            attribute=column.name,
            problem=Problem.BAD_VALUE,
        ) from None


_PLAIN_STRING = "ecmahost_plain_string"


def _plain_string(column: Column[Any]) -> bool:
    """Whether `column` takes strings as they are (a string column that is not boolean-like), worked out once per
    column and kept in its `info` dict: nearly every value a request writes is a string into such a column. (Not a
    dict keyed by column: a column's `==` builds a SQL expression, which made each look-up cost ~20 us.)"""
    known: bool | None = column.info.get(_PLAIN_STRING)
    if known is None:
        known = column.info[_PLAIN_STRING] = is_string(column) and not is_boolean(column)
    return known


def _convert(column: Column[Any], value: Any) -> Any:
    if type(value) is str and _plain_string(column):
        return value
    if is_boolean(column):
        return _to_bool(value)
    column_type = column.type
    if isinstance(column_type, sqltypes.Uuid):
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    if isinstance(column_type, sqltypes.DateTime):
        return _to_datetime(value, aware=bool(column_type.timezone))
    if isinstance(column_type, sqltypes.Integer):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return int(value)
    if isinstance(column_type, sqltypes.Numeric):
        return Decimal(str(value)) if column_type.asdecimal else float(value)
    if is_string(column):
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, datetime):
            return value.isoformat()
        return value if isinstance(value, str) else str(value)
    return value


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(value)


def _to_datetime(value: Any, *, aware: bool) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise TypeError(value)
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value if aware else value.replace(tzinfo=None)


def from_db(column: Column[Any], value: Any, attribute_type: AttributeType | None = None) -> Any:
    """A stored value as a record value: bool, int, float, str, timezone-aware UTC datetime, bytes."""
    if value is None:
        return None
    if attribute_type is AttributeType.BOOLEAN or is_boolean(column):
        return bool(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        if attribute_type is AttributeType.INTEGER or value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def value_reader(column: Column[Any], attribute_type: AttributeType | None = None) -> Callable[[Any], Any]:
    """`from_db` for `column`, with the per-type questions answered once: a string column's strings (nearly
    every value of a user) come back as they are."""
    if attribute_type is AttributeType.BOOLEAN or is_boolean(column):
        return _read_bool
    if is_string(column) and attribute_type in (None, AttributeType.STRING):

        def read_string(value: Any) -> Any:
            return value if value is None or type(value) is str else from_db(column, value, attribute_type)

        return read_string
    return lambda value: from_db(column, value, attribute_type)


def _read_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def anchor_to_db(column: Column[Any], anchor: str) -> Any:
    """An anchor from a request, for `column`; None when it cannot be an anchor of this column at all."""
    try:
        return to_db(column, anchor)
    except ConstraintViolation:
        return None


def anchor_from_db(value: Any) -> str:
    return str(value)
