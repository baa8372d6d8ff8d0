"""Which selected attributes of an object type a replace (SCIM PUT) must not clear, from the directory's schema.

- left alone when a PUT omits them: operational attributes the server maintains (`NO-USER-MODIFICATION`), and
  attributes the connector fills from a `create_defaults` template (the entry keeps the value it was given);
- cannot be cleared: the MUST attributes of the object classes (and their superiors) and the attributes the DN
  template names (clearing the RDN value is refused by every server), when they have no template.

Read once per object type, through ldap3's parser of the subschema the server publishes (`subschema.read`); a
server that publishes none (or hides it from the bind account) gives only what the connector file says. It
writes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from ecmahost.connectors.base import ClearRules
from ecmahost.connectors.ldap import subschema
from ecmahost.connectors.ldap.discovery import attributes_of
from ecmahost.connectors.ldap.session import Session
from ecmahost.connectors.ldap.spec import ObjectSpec

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def clear_rules(session: Session, spec: ObjectSpec) -> ClearRules:
    schema = subschema.read(session)
    names = {name: _aliases(schema, name) for name in spec.types if name.lower() != spec.anchor.lower()}
    defaulted = {d.lower() for d in spec.target.create_defaults}
    must = _must(schema, spec.target.object_classes) if schema is not None else set()
    must |= {p.lower() for p in _PLACEHOLDER.findall(spec.target.dn_template or "")}
    operational = _operational(schema, names) if schema is not None else set()
    keep = {name for name, aliases in names.items() if aliases & defaulted or name in operational}
    required = {name for name, aliases in names.items() if aliases & must and name not in keep}
    if spec.password:
        keep.discard(spec.password)
        required.discard(spec.password)
    return ClearRules(keep=frozenset(keep), required=frozenset(required))


def _aliases(schema: Any, name: str) -> set[str]:
    """`name` and its other names in the schema (`cn` and `commonName`), lower case."""
    found = schema.attribute_types.get(name) if schema is not None else None
    return {name.lower(), *(n.lower() for n in (found.name or []))} if found is not None else {name.lower()}


def _must(schema: Any, object_classes: tuple[str, ...] | list[str]) -> set[str]:
    must: set[str] = set()
    for name in object_classes:
        object_class = schema.object_classes.get(name)
        if object_class is not None:
            for attribute in attributes_of(schema, object_class)[0]:
                must |= _aliases(schema, attribute)
    return must


def _operational(schema: Any, names: dict[str, set[str]]) -> set[str]:
    operational = set()
    for name in names:
        found = schema.attribute_types.get(name)
        if found is not None and (
            bool(found.no_user_modification) or str(found.usage or "").lower() not in ("", "0", "userapplications")
        ):
            operational.add(name)
    return operational
