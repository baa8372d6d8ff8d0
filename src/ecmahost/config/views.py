"""What a connector file's `views:` setting makes impossible to serve, found from the file alone.

Under `views: core` only attributes with a `scim:` path reach a client: a required attribute without one could
never be written, an anchor the client must supply (`generate: none`) could never be sent, and a User object type
with no `scim:` path at all serves nothing. The loader (`config.validation`) reports these as issues of the file,
the SCIM mapping (`scim.mapping`) refuses to build from them; one rule for both. It does no I/O.
"""

from __future__ import annotations

from typing import NamedTuple

from ecmahost.config.model import AnchorGeneration, Mutability, ObjectTypeConfig, SchemaViews


class ViewsProblem(NamedTuple):
    path: str
    """the file key, e.g. `object_types.User.attributes.AzureID`"""
    problem: str
    fix: str


def views_problems(object_type: str, config: ObjectTypeConfig, views: SchemaViews) -> list[ViewsProblem]:
    if views is not SchemaViews.CORE:
        return []
    where = f"object_types.{object_type}"
    fix = "give it a `scim:` path (such as userName or externalId), or set `views: both`"
    found = [
        ViewsProblem(f"{where}.attributes.{name}", "required, but `views: core` serves it at no path (no `scim:`)", fix)
        for name, attribute in config.attributes.items()
        if attribute.required
        and not attribute.scim
        and attribute.mutability is not Mutability.READ_ONLY
        and name != config.anchor.attribute
    ]
    anchor = config.attributes.get(config.anchor.attribute)
    if config.anchor.generate is AnchorGeneration.NONE and anchor is not None and not anchor.scim:
        problem = "the client supplies the anchor (`generate: none`), but `views: core` serves it at no path"
        found.append(ViewsProblem(f"{where}.anchor", problem, fix))
    if object_type == "User" and not any(a.scim for a in config.attributes.values()):
        problem = "`views: core` serves only attributes with a `scim:` path, and none has one"
        found.append(ViewsProblem(f"{where}.attributes", problem, "map at least userName, or set `views: both`"))
    return found
