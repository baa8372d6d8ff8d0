"""Evaluate a SCIM filter against one element of a multi-valued attribute held in memory.

Used for PATCH value filters (`emails[type eq "work"]`, `phoneNumbers[value eq "x"]`) and to pick elements out
of request bodies. Searches never come here: they are translated into the target's own query language.
"""

from __future__ import annotations

from typing import Any

from ecmahost.scim.filter_ast import And, Compare, CompareOp, Filter, Not, Or, Present, ValuePath


def _lookup(element: dict[str, Any], name: str) -> Any:
    lowered = name.lower()
    for key, value in element.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value
    return None


def compare_values(op: CompareOp, actual: Any, expected: Any) -> bool:
    if isinstance(actual, str) and isinstance(expected, str):
        actual, expected = actual.lower(), expected.lower()
    if op is CompareOp.EQ:
        return actual == expected
    if op is CompareOp.NE:
        return actual != expected
    if actual is None or expected is None:
        return False
    if op in (CompareOp.CO, CompareOp.SW, CompareOp.EW):
        if not (isinstance(actual, str) and isinstance(expected, str)):
            return False
        return {CompareOp.CO: expected in actual, CompareOp.SW: actual.startswith(expected)}.get(
            op, actual.endswith(expected)
        )
    try:
        return {
            CompareOp.GT: actual > expected,
            CompareOp.GE: actual >= expected,
            CompareOp.LT: actual < expected,
            CompareOp.LE: actual <= expected,
        }[op]
    except TypeError:
        return False


def matches(node: Filter, element: Any) -> bool:
    """Whether `element` (a dict of sub-attributes, or a bare value standing for `value`) satisfies `node`."""
    if not isinstance(element, dict):
        element = {"value": element}
    if isinstance(node, Compare):
        return compare_values(node.op, _lookup(element, node.path.attr), node.value)
    if isinstance(node, Present):
        value = _lookup(element, node.path.attr)
        return value not in (None, "", [], {})
    if isinstance(node, And):
        return matches(node.left, element) and matches(node.right, element)
    if isinstance(node, Or):
        return matches(node.left, element) or matches(node.right, element)
    if isinstance(node, Not):
        return not matches(node.expr, element)
    if isinstance(node, ValuePath):
        return False
    raise TypeError(f"not a filter node: {node!r}")
