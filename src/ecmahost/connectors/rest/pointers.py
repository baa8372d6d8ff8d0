"""Where values sit in JSON documents: JSON pointers (RFC 6901), a JSONPath subset, and body templates.

JSONPath is accepted in its simple form only (`$.a.b`, `$.a[0].b`, `$['a-b']`) and converted to a pointer;
filters and wildcards are not supported. No I/O.
"""

from __future__ import annotations

import re
from typing import Any

_MISSING = object()
_JSONPATH_PART = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")
_PLACEHOLDER = re.compile(r"\{\{\s*([^}\s]+)\s*\}\}")


def to_pointer(path: str) -> str:
    """A JSON pointer for `path` (already a pointer, or a simple JSONPath); ValueError when it is neither."""
    if path == "" or path.startswith("/"):
        return path
    if not path.startswith("$"):
        raise ValueError(f"{path!r} is neither a JSON pointer (/a/b) nor a JSONPath ($.a.b)")
    rest, parts = path[1:], []
    while rest:
        match = _JSONPATH_PART.match(rest)
        if match is None:
            raise ValueError(f"{path!r}: only $.name, [index] and ['name'] steps are supported")
        parts.append(next(group for group in match.groups() if group is not None))
        rest = rest[match.end() :]
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def _steps(pointer: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]] if pointer else []


def resolve(document: Any, pointer: str, default: Any = None) -> Any:
    node = document
    for step in _steps(pointer):
        if isinstance(node, dict):
            node = node.get(step, _MISSING)
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            node = _MISSING
        if node is _MISSING:
            return default
    return node


def assign(document: dict[str, Any], pointer: str, value: Any) -> None:
    """Set the value at `pointer`, creating objects on the way; None removes the key."""
    steps = _steps(pointer)
    if not steps:
        raise ValueError("cannot assign the whole document")
    node: Any = document
    for step in steps[:-1]:
        node = node.setdefault(step, {}) if isinstance(node, dict) else node[int(step)]
    if value is None and isinstance(node, dict):
        node.pop(steps[-1], None)
    elif isinstance(node, list):
        node[int(steps[-1])] = value
    else:
        node[steps[-1]] = value


def fill(template: Any, values: dict[str, Any]) -> Any:
    """The template with each string that is exactly `{{Name}}` replaced by the value (any JSON type) and each
    `{{Name}}` inside a longer string replaced by its text."""
    if isinstance(template, dict):
        return {key: fill(item, values) for key, item in template.items()}
    if isinstance(template, list):
        return [fill(item, values) for item in template]
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole:
            return values.get(whole.group(1))
        return _PLACEHOLDER.sub(lambda m: "" if values.get(m.group(1)) is None else str(values[m.group(1)]), template)
    return template
