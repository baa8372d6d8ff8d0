"""The JSON documents exchanged with a script (protocol version 1, documented in docs/script-connector.md).

Request: `{"protocol": 1, "operation", "connector", "object_type", "definition", ...operation fields}`, where
`definition` describes the object type (anchor, attributes with type/required/unique/case_exact, has_members) and
a filter is a tree of `{"op": ...}` nodes. Answer: the operation's result, or `{"error": {"kind", "detail"}}`
with a kind among `not_found`, `exists`, `constraint`, `unavailable`, `configuration`. This module converts; it
starts no process.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from ecmahost.config.model import ObjectTypeConfig
from ecmahost.connectors import errors
from ecmahost.connectors.query import And, Any_, Change, Compare, Const, Filter, Not, Or, Present, SearchQuery

PROTOCOL_VERSION = 1
ERROR_KINDS: dict[str, type[errors.ConnectorError]] = {
    "not_found": errors.ObjectNotFound,
    "exists": errors.ObjectExists,
    "constraint": errors.ConstraintViolation,
    "unavailable": errors.TargetUnavailable,
    "configuration": errors.ConfigurationError,
}


class BadAnswer(ValueError):
    """The script's output is not a protocol answer."""


def filter_tree(node: Filter) -> dict[str, Any]:
    if isinstance(node, Compare):
        return {"op": node.op.value, "attribute": node.attribute, "value": node.value, "case_exact": node.case_exact}
    if isinstance(node, Present):
        return {"op": "pr", "attribute": node.attribute}
    if isinstance(node, And | Or):
        return {"op": "and" if isinstance(node, And) else "or", "items": [filter_tree(i) for i in node.items]}
    if isinstance(node, Not):
        return {"op": "not", "item": filter_tree(node.item)}
    if isinstance(node, Any_):
        return {"op": "any", "attribute": node.attribute, "item": filter_tree(node.item)}
    if isinstance(node, Const):
        return {"op": "const", "value": node.value}
    raise TypeError(f"not a filter node: {node!r}")


def definition(name: str, spec: ObjectTypeConfig, has_members: bool) -> dict[str, Any]:
    attributes = {
        attr_name: {
            "type": attribute.type.value,
            "required": attribute.required,
            "unique": attribute.unique,
            "case_exact": attribute.case_exact,
            "multi_valued": attribute.multi_valued,
        }
        for attr_name, attribute in spec.attributes.items()
    }
    return {"name": name, "anchor": spec.anchor.attribute, "attributes": attributes, "has_members": has_members}


def search_fields(query: SearchQuery | None) -> dict[str, Any]:
    """The search part of a request; None lists everything (host-side filtering)."""
    if query is None:
        return {"filter": None, "attributes": None, "offset": 0, "limit": None, "sort": None}
    sort = query.sort
    return {
        "filter": None if query.filter is None else filter_tree(query.filter),
        "attributes": None if query.attributes is None else sorted(query.attributes),
        "offset": query.offset,
        "limit": query.limit,
        "sort": None if sort is None else {"attribute": sort.attribute, "descending": sort.descending},
    }


def change_fields(change: Change) -> dict[str, Any]:
    return {
        "set": change.set,
        "replace": change.replace,
        "add_members": change.add_members,
        "remove_members": change.remove_members,
        "clear_members": change.clear_members,
    }


def encode(document: dict[str, Any]) -> bytes:
    return orjson.dumps({"protocol": PROTOCOL_VERSION, **document}, default=_default)


def decode(output: bytes) -> dict[str, Any]:
    """The answer as a mapping; `BadAnswer` when it is not one JSON object; a typed `ConnectorError` when it is
    an error answer."""
    try:
        answer = orjson.loads(output)
    except orjson.JSONDecodeError as exc:
        raise BadAnswer(f"not JSON ({exc.msg} at byte {exc.pos})") from None
    if not isinstance(answer, dict):
        raise BadAnswer(f"a JSON {type(answer).__name__}, not an object")
    error = answer.get("error")
    if error is not None:
        if not isinstance(error, dict) or error.get("kind") not in ERROR_KINDS:
            raise BadAnswer(f"`error` must be {{kind, detail}} with kind one of {', '.join(ERROR_KINDS)}")
        detail = str(error.get("detail") or error["kind"].replace("_", " "))
        raise ERROR_KINDS[error["kind"]](detail)
    return answer


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot send a {type(value).__name__} to a script")
