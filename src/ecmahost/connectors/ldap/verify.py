"""Compare an LDAP connector file with the directory: base DNs exist, object classes and attributes are in its
schema, each selected attribute is allowed by the object classes, every MUST attribute gets a value on create,
the anchor can be produced, and a DN template's parent exists.

Runs as one unit of work on a pooled session (`LdapPool.run`); it reads the root DSE, the subschema and a few
entries, and writes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from ecmahost.config.model import AnchorGeneration, ConnectorConfig
from ecmahost.connectors.base import TargetProblem
from ecmahost.connectors.ldap import dn as dns
from ecmahost.connectors.ldap import subschema
from ecmahost.connectors.ldap.directory import Directory
from ecmahost.connectors.ldap.discovery import attributes_of
from ecmahost.connectors.ldap.session import Session
from ecmahost.connectors.ldap.spec import ObjectSpec
from ecmahost.connectors.ldap.values import DN_ATTRIBUTE
from ecmahost.connectors.verify import anchor_problems, closest

_PLACEHOLDER = re.compile(r"\{[^{}]+\}")
ANY_ATTRIBUTE_CLASSES = frozenset({"extensibleobject"})
"""object classes that allow every attribute (RFC 4512 §4.3)"""


def directory_problems(session: Session, directory: Directory, config: ConnectorConfig) -> list[TargetProblem]:
    found: list[TargetProblem] = []
    for base in directory.settings.base_dns:
        if session.read(base, []) is None:
            found.append(_missing_base("connection.base_dns", base, None))
    schema = subschema.read(session)  # not attached to the pooled connection: its later writes stay as before
    for name, spec in directory.specs.items():
        found += anchor_problems(config, name, config.object_types[name])
        found += _ObjectTypeCheck(session, schema, spec).problems()
    return found


def _missing_base(where: str, base: str, object_type: str | None) -> TargetProblem:
    return TargetProblem(
        where,
        f"the entry {base} does not exist (or the bind account cannot read it)",
        "create it, correct the DN, or give the bind account read access to it",
        object_type,
    )


class _ObjectTypeCheck:
    def __init__(self, session: Session, schema: Any, spec: ObjectSpec) -> None:
        self.session = session
        self.schema = schema
        self.spec = spec
        self.where = f"object_types.{spec.object_type}"
        self.found: list[TargetProblem] = []

    def problem(self, key: str, problem: str, fix: str = "") -> None:
        self.found.append(TargetProblem(f"{self.where}.{key}", problem, fix, self.spec.object_type))

    def problems(self) -> list[TargetProblem]:
        target = self.spec.target
        if self.session.read(target.base_dn, []) is None:
            self.found.append(_missing_base(f"{self.where}.base_dn", target.base_dn, self.spec.object_type))
        elif target.dn_template and not target.create_missing_ous:
            self.template_parent(target.dn_template)
        if self.schema is None:  # a directory that publishes no schema: nothing more to compare with
            return self.found
        classes = self.object_classes()
        if classes is not None:
            must, may = self.allowed(classes)
            allowed = {alias for name in [*must, *may] for alias in self.aliases(name)}
            self.attributes(allowed, any_attribute=any(c in ANY_ATTRIBUTE_CLASSES for c in classes))
            self.required(must)
        self.anchor()
        return self.found

    def template_parent(self, template: str) -> None:
        parent = template.split(",", 1)[1] if "," in template else ""
        if parent and "{" not in parent and self.session.read(parent, []) is None:
            self.problem(
                "dn_template",
                f"new entries go under {parent}, which does not exist",
                "create it, correct the template, or set `create_missing_ous: true`",
            )

    def object_classes(self) -> list[str] | None:
        """The classes' lower-case names, or None when one is unknown (the attribute checks would mislead)."""
        names = []
        for object_class in self.spec.target.object_classes:
            found = self.schema.object_classes.get(object_class)
            if found is None:
                known = [str(n) for c in self.schema.object_classes.values() for n in (c.name or [])]
                self.problem(
                    "object_classes",
                    f"object class {object_class!r} is not in the directory's schema",
                    closest(object_class, known),
                )
                return None
            names.append(object_class.lower())
        return names

    def allowed(self, classes: list[str]) -> tuple[list[str], list[str]]:
        """MUST and MAY attributes of the classes and their superiors, by their schema names."""
        must: list[str] = []
        may: list[str] = []
        for object_class in classes:
            class_must, class_may = attributes_of(self.schema, self.schema.object_classes[object_class])
            must += [a for a in class_must if a not in must]
            may += [a for a in class_may if a not in may]
        return must, may

    def aliases(self, attribute: str) -> set[str]:
        found = self.schema.attribute_types.get(attribute)
        names = list(found.name or []) if found is not None else []
        return {n.lower() for n in [attribute, *names]}

    def operational(self, attribute: str) -> bool:
        found = self.schema.attribute_types.get(attribute)
        usage = str(getattr(found, "usage", "") or "").lower()
        return found is not None and (bool(found.no_user_modification) or usage not in ("", "0", "userapplications"))

    def configured(self) -> dict[str, str]:
        """Every attribute the file names -> its file key."""
        target = self.spec.target
        names = {a: f"attributes.{a}" for a in self.spec.types}
        if self.spec.anchor != DN_ATTRIBUTE:
            names.setdefault(self.spec.anchor, "anchor")
        for key, value in (
            ("member_attribute", target.member_attribute),
            ("password_attribute", target.password_attribute),
        ):
            if value:
                names[value] = key
        for attribute in target.create_defaults:
            names.setdefault(attribute, f"create_defaults.{attribute}")
        return names

    def attributes(self, allowed: set[str], *, any_attribute: bool) -> None:
        classes = ", ".join(self.spec.target.object_classes)
        known = [str(n) for t in self.schema.attribute_types.values() for n in (t.name or [])]
        for attribute, key in self.configured().items():
            if self.schema.attribute_types.get(attribute) is None:
                self.problem(
                    key, f"attribute {attribute!r} is not in the directory's schema", closest(attribute, known)
                )
            elif not any_attribute and not self.operational(attribute) and not self.aliases(attribute) & allowed:
                self.problem(
                    key,
                    f"attribute {attribute!r} is not allowed by the object classes [{classes}]",
                    "add an auxiliary object class that allows it to `object_classes`, or drop the attribute",
                )

    def required(self, must: list[str]) -> None:
        """MUST attributes that get no value on create: every create would fail with a schema violation."""
        target = self.spec.target
        given = {alias for name in self.configured() for alias in self.aliases(name)}
        given |= {alias for attribute in _rdn_attributes(target.dn_template) for alias in self.aliases(attribute)}
        given |= {"objectclass"}
        for attribute in must:
            if self.aliases(attribute) & given:
                continue
            self.problem(
                "attributes",
                f"{attribute!r} is a MUST attribute of [{', '.join(target.object_classes)}] that the connector never "
                "writes: every create would fail",
                f'select it and map it to a SCIM attribute, or add `create_defaults: {{{attribute}: "{{...}}"}}`',
            )

    def anchor(self) -> None:
        spec = self.spec
        if spec.anchor == DN_ATTRIBUTE or self.schema.attribute_types.get(spec.anchor) is None:
            return
        operational = self.operational(spec.anchor)
        if spec.generate is AnchorGeneration.TARGET and not operational:
            self.problem(
                "anchor.generate",
                f"`generate: target`, but {spec.anchor!r} is not set by the directory",
                "use an operational attribute the directory sets (entryUUID, nsUniqueId, objectGUID), or "
                "`generate: uuid` (the host generates it) or `generate: none` (clients send it)",
            )
        if spec.generate is not AnchorGeneration.TARGET and operational:
            self.problem(
                "anchor.generate",
                f"{spec.anchor!r} is set by the directory; the host cannot write it",
                "set `generate: target`",
            )


def _rdn_attributes(template: str | None) -> list[str]:
    """The attributes of a DN template's first RDN (the host writes them from the DN on create)."""
    if not template:
        return []
    rdn, _ = dns.split(_PLACEHOLDER.sub("x", template))
    return [attribute for attribute, _ in rdn]
