"""Render the filter AST back to canonical SCIM text: the inverse of `filter_parser`.

Canonical means: lowercase operators and keywords, single spaces, strings as JSON strings, numbers as JSON
numbers, and parentheses only where precedence (`not` > `and` > `or`, left-associative) needs them, so that
`parse_filter(render_filter(f)) == f` for every AST the parser can produce.

It does not validate attribute names (a name that the parser would refuse renders as written) and does not
translate to any target language (SQL, LDAP): connectors do that from the target-level AST.
"""

from __future__ import annotations

import json
import math

from ecmahost.scim.filter_ast import And, Compare, Filter, Not, Or, PatchPath, Present, Value, ValuePath

__all__ = ["render_filter", "render_path", "render_value"]

_ATOM, _AND, _OR = 3, 2, 1


def render_filter(f: Filter) -> str:
    """Canonical text of `f`, e.g. `userName eq "x" and (title pr or not (active eq false))`."""
    if isinstance(f, Compare):
        return f"{f.path} {f.op.value} {render_value(f.value)}"
    if isinstance(f, Present):
        return f"{f.path} pr"
    if isinstance(f, And):
        return f"{_operand(f.left, _AND)} and {_operand(f.right, _ATOM)}"
    if isinstance(f, Or):
        return f"{_operand(f.left, _OR)} or {_operand(f.right, _AND)}"
    if isinstance(f, Not):
        return f"not ({render_filter(f.expr)})"
    if isinstance(f, ValuePath):
        return f"{f.path}[{render_filter(f.filter)}]"
    raise TypeError(f"not a filter node: {f!r}")


def render_path(p: PatchPath) -> str:
    """Canonical text of a PATCH path, e.g. `emails[type eq "work"].value`."""
    text = str(p.attr)
    if p.value_filter is not None:
        text = f"{text}[{render_filter(p.value_filter)}]"
    return f"{text}.{p.sub}" if p.sub else text


def render_value(value: Value) -> str:
    """A comparison value as JSON; a non-finite float has no SCIM form and raises ValueError."""
    if value is None or isinstance(value, bool | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"a SCIM filter cannot hold the number {value}")
        return repr(value)
    raise TypeError(f"not a SCIM filter value: {value!r}")


def _operand(f: Filter, min_precedence: int) -> str:
    text = render_filter(f)
    precedence = _OR if isinstance(f, Or) else _AND if isinstance(f, And) else _ATOM
    return text if precedence >= min_precedence else f"({text})"
