"""`attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) applied to a rendered resource.

A name is a top-level attribute (`userName`), a sub-attribute (`name.givenName`, `emails.value`: each element of
a multi-valued attribute), a whole schema extension (`urn:...:enterprise:2.0:User`) or an attribute inside one
(`urn:...:enterprise:2.0:User:employeeNumber`, `urn:...:core:2.0:User:name.givenName`), matched
case-insensitively. `id`, `schemas` and `meta` are always returned (`id` is `returned: always` in RFC 7643 §3.1;
`meta` carries the version the `ETag` header repeats). A container left empty is omitted, as every unassigned
attribute is (RFC 7643 §2.5), and `schemas` names only the schemas whose attributes remain. Names of attributes
the resource does not have select nothing. Attributes the connector file marks `returned: always` are kept like
`id`, and `returned: request` ones only appear when `attributes` names them (RFC 7643 §7), at their core or
enterprise path and in the ECMA2Host extension alike. Nothing here reads the target: which columns to read is the
service's business (`asks_for`).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ecmahost.config.model import Returned
from ecmahost.scim import urns
from ecmahost.scim.mapping import ObjectMapping

ALWAYS_RETURNED = frozenset({"id", "schemas", "meta"})
CORE_PREFIXES = tuple(f"{urn.lower()}:" for urn in (urns.CORE_USER, urns.CORE_GROUP))
EXTENSIONS = (urns.ENTERPRISE_USER, urns.extension_urn("User"), urns.extension_urn("Group"))
"""The extension URNs the host renders, known even when a resource's `schemas` does not list them."""

Tree = dict[str, "Tree | None"]
"""Lower-cased attribute names -> the sub-attributes asked for, or None for the whole attribute."""


@dataclass(frozen=True, eq=False, slots=True)
class Returns:
    """Where a connector's `returned: always` and `returned: request` attributes appear, as trees (hashed by
    identity: one per mapping, a key of the tree cache)."""

    always: Tree
    request: Tree


NO_RULES = Returns({}, {})
_RETURNS: weakref.WeakKeyDictionary[ObjectMapping, Returns] = weakref.WeakKeyDictionary()


def returns_of(mapping: ObjectMapping) -> Returns:
    """The `returned` rules of `mapping`'s fields, worked out once per mapping."""
    rules = _RETURNS.get(mapping)
    if rules is None:
        schemas = (mapping.core_urn, urns.ENTERPRISE_USER, mapping.extension_urn)
        paths: dict[Returned, list[str]] = {Returned.ALWAYS: [], Returned.REQUEST: []}
        for item in mapping.fields.values():
            wanted = paths.get(item.config.returned)
            if wanted is None:
                continue
            if item.extension:
                wanted.append(f"{mapping.extension_urn}:{item.name}")
            if item.core is not None and item.core.value_filter is None:
                wanted.append(str(item.core.attr))
        always, request = (tuple(paths[r]) for r in (Returned.ALWAYS, Returned.REQUEST))
        rules = Returns(_tree(always, schemas), _tree(request, schemas)) if always or request else NO_RULES
        _RETURNS[mapping] = rules
    return rules


def project(
    resource: dict[str, Any],
    attributes: Iterable[str] | None,
    excluded: Iterable[str] | None,
    returns: Returns = NO_RULES,
) -> dict[str, Any]:
    """The resource with only `attributes` (and the always-returned ones), or without `excluded` (and without the
    `returned: request` ones); `attributes` wins when both are given (RFC 7644 §3.4.2.5 says a client sends one
    of them). Never mutates `resource`; returns it as it is when there is nothing to do."""
    if not attributes and not excluded and not returns.request:
        return resource
    schemas = tuple(resource.get("schemas") or ())
    if attributes:
        projected = _taken(resource, _kept_tree(tuple(attributes), schemas, returns)) or {}
    else:
        projected = _dropped(resource, _dropped_tree(tuple(excluded or ()), schemas, returns))
        if returns.always:
            projected = _overlaid(projected, _taken(resource, returns.always) or {})
    if schemas:
        projected["schemas"] = [s for s in schemas if s in projected or s not in resource]
    return projected


def asks_for(attribute: str, attributes: Iterable[str] | None, excluded: Iterable[str] | None) -> bool:
    """Whether the projection keeps some of core attribute `attribute` (e.g. `members`), so the service knows
    whether to read it from the target at all."""
    key = attribute.lower()
    if attributes:
        return key in _tree(tuple(attributes), ())
    return not excluded or _tree(tuple(excluded), ()).get(key, {}) is not None


@lru_cache(maxsize=256)
def _kept_tree(names: tuple[str, ...], schemas: tuple[str, ...], returns: Returns) -> Tree:
    return _union(_union(_tree(names, schemas), returns.always), dict.fromkeys(ALWAYS_RETURNED))


@lru_cache(maxsize=256)
def _dropped_tree(names: tuple[str, ...], schemas: tuple[str, ...], returns: Returns) -> Tree:
    tree = _union(_tree(names, schemas), returns.request)
    return {k: v for k, v in tree.items() if k not in ALWAYS_RETURNED}


def _union(left: Tree, right: Tree) -> Tree:
    """Both trees' paths (a whole attribute in either is whole); new dicts, the cached ones stay as they are."""
    merged: Tree = dict(left)
    for key, branch in right.items():
        if key not in merged:
            merged[key] = branch
        else:
            mine = merged[key]
            merged[key] = None if mine is None or branch is None else _union(mine, branch)
    return merged


@lru_cache(maxsize=256)
def _tree(names: tuple[str, ...], schemas: tuple[str, ...]) -> Tree:
    """The names as a tree of lower-cased path segments (worked out once per distinct request and schema list)."""
    tree: Tree = {}
    for name in names:
        node = tree
        parts = _parts(name, schemas)
        for index, part in enumerate(parts):
            if index == len(parts) - 1:
                node[part] = None
                break
            child = node.setdefault(part, {})
            if child is None:
                break  # the whole attribute is already asked for
            node = child
    return tree


def _parts(name: str, schemas: tuple[str, ...]) -> list[str]:
    lowered = name.strip().lower()
    if lowered.startswith(CORE_PREFIXES):
        return lowered.split(":")[-1].split(".")
    for schema in (*schemas, *EXTENSIONS):
        urn = schema.lower()
        if lowered == urn:
            return [urn]
        if lowered.startswith(f"{urn}:"):
            return [urn, *lowered[len(urn) + 1 :].split(".")]
    return lowered.split(".")


def _taken(value: Any, tree: Tree) -> Any:
    """What of `value` the tree asks for: None when nothing (a sub-attribute asked of a simple value)."""
    if isinstance(value, list):
        elements = [e for e in (_taken(v, tree) for v in value) if e]
        return elements or None
    if not isinstance(value, dict):
        return None
    kept: dict[str, Any] = {}
    for key, item in value.items():
        branch = tree.get(key.lower(), False)
        if branch is None:
            kept[key] = item
        elif branch is not False:
            taken = _taken(item, branch)
            if taken:
                kept[key] = taken
    return kept or None


def _dropped(value: dict[str, Any], tree: Tree) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, item in value.items():
        branch = tree.get(key.lower(), False)
        if branch is False:
            kept[key] = item
        elif branch is not None:
            rest = _rest(item, branch)
            if rest != {} and rest != []:  # a simple value (even false) under a sub-path stays
                kept[key] = rest
    return kept


def _rest(value: Any, tree: Tree) -> Any:
    if isinstance(value, dict):
        return _dropped(value, tree)
    if isinstance(value, list):
        return [e for e in (_rest(v, tree) for v in value) if e != {}]
    return value


def _overlaid(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` with `extra`'s values put back in (objects merged key by key)."""
    merged = dict(base)
    for key, value in extra.items():
        mine = merged.get(key)
        merged[key] = _overlaid(mine, value) if isinstance(mine, dict) and isinstance(value, dict) else value
    return merged
