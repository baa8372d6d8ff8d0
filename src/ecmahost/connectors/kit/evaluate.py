"""Evaluate a target-level filter (`connectors.query.Filter`) against one record held in memory.

SCIM semantics, the same the SQL and LDAP connectors give: `eq`/`ne` compare case-insensitively unless
`case_exact`; `ne` and `not` match records without the attribute; `co`/`sw`/`ew` take their operand literally
(no wildcards); ordering operators never match an absent value; `Any_` matches when one element of a complex
multi-valued attribute (or one member, as `{"value": anchor}`) matches. It does no I/O and knows no target.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ecmahost.connectors.query import MEMBERS, And, Any_, Compare, Const, Filter, Not, Op, Or, Present

_ORDERING = {
    Op.GT: lambda a, b: a > b,
    Op.GE: lambda a, b: a >= b,
    Op.LT: lambda a, b: a < b,
    Op.LE: lambda a, b: a <= b,
}


def is_present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def matches(node: Filter, record: dict[str, Any]) -> bool:
    """Whether `record` satisfies `node`."""
    if isinstance(node, Compare):
        return _compare(node, record.get(node.attribute))
    if isinstance(node, Present):
        return is_present(record.get(node.attribute))
    if isinstance(node, And):
        return all(matches(item, record) for item in node.items)
    if isinstance(node, Or):
        return any(matches(item, record) for item in node.items)
    if isinstance(node, Not):
        return not matches(node.item, record)
    if isinstance(node, Any_):
        return any(matches(node.item, element) for element in _elements(node.attribute, record))
    if isinstance(node, Const):
        return node.value
    raise TypeError(f"not a filter node: {node!r}")


def _elements(attribute: str, record: dict[str, Any]) -> list[dict[str, Any]]:
    values = record.get(attribute) or []
    if attribute == MEMBERS:
        return [{"value": value} for value in values]
    return [value for value in values if isinstance(value, dict)]


def _compare(node: Compare, actual: Any) -> bool:
    if node.op is Op.NE:
        return not _compare(Compare(node.attribute, Op.EQ, node.value, node.case_exact), actual)
    if not is_present(actual) or node.value is None:
        return False
    if isinstance(actual, list):  # a simple multi-valued attribute: some value matches
        return any(_compare(node, item) for item in actual)
    left, right = comparable(actual, node.value, node.case_exact)
    if node.op is Op.EQ:
        return left == right
    if node.op in (Op.CO, Op.SW, Op.EW):
        if not (isinstance(left, str) and isinstance(right, str)):
            return False
        return (
            left.find(right) >= 0
            if node.op is Op.CO
            else left.startswith(right)
            if node.op is Op.SW
            else left.endswith(right)
        )
    try:
        return bool(_ORDERING[node.op](left, right))
    except TypeError:
        return False


def comparable(actual: Any, expected: Any, case_exact: bool) -> tuple[Any, Any]:
    """Both values in one comparable form: bools and numbers as they are, datetimes in UTC, strings folded
    unless `case_exact`; a string stored for a typed operand is converted to the operand's type."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return _as_bool(actual), _as_bool(expected)
    if isinstance(expected, datetime) or isinstance(actual, datetime):
        return _as_datetime(actual), _as_datetime(expected)
    if isinstance(expected, int | float) and isinstance(actual, str):
        try:
            return float(actual), float(expected)
        except ValueError:
            return actual, str(expected)
    if isinstance(actual, str) and isinstance(expected, str):
        return (actual, expected) if case_exact else (actual.casefold(), expected.casefold())
    if isinstance(actual, str) != isinstance(expected, str):
        return str(actual), str(expected)
    return actual, expected


def _as_bool(value: Any) -> Any:
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower(), value)
    return value


def _as_datetime(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value
