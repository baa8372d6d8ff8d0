"""Checks of a connector file that every connector type's `verify` shares, and the wording of their fixes.

The target-specific checks live with each connector type (`sql/verify.py`, `ldap/verify.py`, ...); this module
holds what needs no target: whether anyone can produce an object type's anchor, and "did you mean" suggestions.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ecmahost.config.model import AnchorGeneration, ConnectorConfig, ObjectTypeConfig, SchemaViews
from ecmahost.connectors.base import TargetProblem


def closest(name: str, known: Iterable[str], *, limit: int = 8) -> str:
    """`'Login' or 'LoginName'` when close names exist, else the first `limit` known names."""
    choices = sorted(set(known))
    near = difflib.get_close_matches(name, choices, n=3, cutoff=0.6) if name else []
    if near:
        return "did you mean " + " or ".join(repr(n) for n in near)
    if not choices:
        return "there is none"
    shown = ", ".join(choices[:limit]) + (f" (and {len(choices) - limit} more)" if len(choices) > limit else "")
    return f"one of: {shown}"


def anchor_problems(config: ConnectorConfig, name: str, object_type: ObjectTypeConfig) -> list[TargetProblem]:
    """`anchor.generate: none` means the client sends the anchor's value; with `views: core` an attribute without a
    `scim:` path is not served at all, so no client can send it and every create would fail."""
    anchor = object_type.anchor
    if anchor.generate is not AnchorGeneration.NONE:
        return []
    selected = object_type.attributes.get(anchor.attribute)
    core_only = config.views is SchemaViews.CORE
    if selected is not None and (selected.scim or not core_only):
        return []
    return [
        TargetProblem(
            f"object_types.{name}.anchor",
            f"anchor.generate is none (the client supplies {anchor.attribute!r}) but no SCIM attribute carries it",
            f"map {anchor.attribute} to a SCIM attribute (e.g. `scim: externalId`), or set `generate: uuid` (the "
            "host generates it) or `generate: target` (the target fills it)",
            name,
        )
    ]
