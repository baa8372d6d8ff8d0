"""YAML in and out for the configuration files, keeping comments and key order when a command rewrites a file.

It parses (a syntax error becomes a `ConfigFileError` with line and column), dumps, converts the round-trip
structures to plain dicts and lists, finds the line of a field path, and merges new values into an existing
document without losing the comments of the keys that stay. It knows nothing of what the keys mean.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarbool import ScalarBoolean

from ecmahost.config.errors import ConfigFileError, Issue


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def parse_mapping(text: str, *, file: str) -> CommentedMap:
    """Parse a YAML document whose top level must be a mapping; an empty document is an empty mapping."""
    try:
        data = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigFileError(
            file,
            [
                Issue(
                    path="",
                    problem=f"YAML syntax error: {problem}",
                    fix="fix the YAML",
                    line=line,
                    column=column,
                )
            ],
        ) from None
    except YAMLError as exc:
        raise ConfigFileError.single(file, f"YAML syntax error: {exc}", fix="fix the YAML") from None
    if data is None:
        return CommentedMap()
    if not isinstance(data, CommentedMap):
        raise ConfigFileError.single(
            file, f"the file holds a {type(data).__name__}, not a mapping", fix="start it with `name: <Name>`"
        )
    return data


def dump(data: Mapping[str, Any]) -> str:
    stream = io.StringIO()
    _yaml().dump(data, stream)
    return stream.getvalue()


def to_plain(value: Any) -> Any:
    """Round-trip structures (CommentedMap, CommentedSeq, scalar subclasses) as plain dicts, lists and
    scalars."""
    if isinstance(value, Mapping):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(item) for item in value]
    if isinstance(value, ScalarBoolean):
        return bool(value)
    if isinstance(value, bool) or value is None:
        return value
    for plain in (str, int, float):
        if isinstance(value, plain):
            return plain(value)
    return value


def line_of(data: Any, path: Sequence[str | int]) -> int | None:
    """The 1-based line where the deepest existing key of `path` is written, or None."""
    line: int | None = None
    node = data
    for part in path:
        if isinstance(node, CommentedMap) and part in node:
            position = _position(node.lc.key, part)
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            position = _position(node.lc.item, part)
        else:
            break
        if position is None:  # added after parsing: no line
            break
        line = position[0] + 1
        node = node[part]
    return line


def _position(lookup: Any, part: str | int) -> tuple[int, int] | None:
    try:
        return lookup(part)
    except (KeyError, IndexError, TypeError):
        return None


def merge_into(target: CommentedMap, new: Mapping[str, Any]) -> CommentedMap:
    """Make `target` equal to `new` in place: keys that stay keep their comments and order, nested mappings
    are merged the same way, removed keys go, new keys are appended."""
    for key in [key for key in target if key not in new]:
        del target[key]
    for key, value in new.items():
        current = target.get(key)
        if isinstance(value, Mapping) and isinstance(current, CommentedMap):
            merge_into(current, value)
        elif key not in target or to_plain(current) != to_plain(value):
            target[key] = value
    return target


def set_path(target: CommentedMap, path: Sequence[str], value: Any) -> None:
    """Set `target[path[0]][path[1]]... = value`, creating missing mappings; comments elsewhere stay."""
    node = target
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, CommentedMap):
            child = CommentedMap()
            node[part] = child
        node = child
    node[path[-1]] = value
