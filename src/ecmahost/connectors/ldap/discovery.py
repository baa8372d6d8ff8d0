"""Discover what a directory offers: the root DSE (vendor, naming contexts, supported controls) and the
subschema (object classes with their kind and attributes; attribute types with syntax and single/multi value).

It reads through ldap3's schema parser on a connection it is lent (`subschema.read`, never attached to it); it
writes nothing and keeps nothing.
"""

from __future__ import annotations

from typing import Any

from ecmahost.config.model import AttributeType
from ecmahost.connectors.base import DiscoveredAttribute, DiscoveredObjectClass, DiscoveredSchema
from ecmahost.connectors.ldap import subschema
from ecmahost.connectors.ldap.session import PAGED_RESULTS, PERMISSIVE_MODIFY, Session

SYNTAXES = {
    "1.3.6.1.4.1.1466.115.121.1.7": AttributeType.BOOLEAN,
    "1.3.6.1.4.1.1466.115.121.1.27": AttributeType.INTEGER,
    "1.3.6.1.4.1.1466.115.121.1.24": AttributeType.DATETIME,
    "1.3.6.1.4.1.1466.115.121.1.53": AttributeType.DATETIME,
    "1.3.6.1.4.1.1466.115.121.1.12": AttributeType.REFERENCE,
    "1.3.6.1.4.1.1466.115.121.1.34": AttributeType.REFERENCE,
    "1.3.6.1.4.1.1466.115.121.1.5": AttributeType.BINARY,
    "1.3.6.1.4.1.1466.115.121.1.8": AttributeType.BINARY,
    "1.3.6.1.4.1.1466.115.121.1.9": AttributeType.BINARY,
    "1.3.6.1.4.1.1466.115.121.1.10": AttributeType.BINARY,
    "1.3.6.1.4.1.1466.115.121.1.28": AttributeType.BINARY,
    "1.3.6.1.4.1.1466.115.121.1.40": AttributeType.BINARY,
    "1.2.840.113556.1.4.906": AttributeType.INTEGER,  # AD Large Integer
    "1.2.840.113556.1.4.907": AttributeType.BINARY,  # AD Object(Security-Descriptor)
}
SERVER_SIDE_SORT = "1.2.840.113556.1.4.473"
VLV = "2.16.840.1.113730.3.4.9"
OPERATIONAL_ANCHORS = ("entryUUID", "nsUniqueId", "objectGUID")


def discover(session: Session) -> DiscoveredSchema:
    schema = subschema.read(session)  # not attached to the pooled connection (see `subschema`)
    if schema is None:
        return DiscoveredSchema(detail=_detail(session))
    types = schema.attribute_types
    anchors = [name for name in OPERATIONAL_ANCHORS if name in types]
    classes = []
    for name, object_class in sorted(schema.object_classes.items(), key=lambda item: item[0].lower()):
        if name != (object_class.name or [name])[0]:
            continue  # an alias of a class already listed
        kind = str(object_class.kind or "structural").lower()
        must, may = attributes_of(schema, object_class)
        attributes = [_attribute(schema, a, required=True) for a in must]
        attributes += [_attribute(schema, a, required=False) for a in may if a not in must]
        if kind == "structural":
            attributes += [_attribute(schema, a, required=False, anchor=True) for a in anchors]
        classes.append(DiscoveredObjectClass(name=name, kind=kind, attributes=attributes))
    return DiscoveredSchema(object_classes=classes, detail=_detail(session))


def attributes_of(schema: Any, object_class: Any) -> tuple[list[str], list[str]]:
    """MUST and MAY attributes of a class and its superiors, in schema order."""
    must: list[str] = []
    may: list[str] = []
    seen: set[str] = set()
    pending = [object_class]
    while pending:
        current = pending.pop(0)
        key = (current.name or [""])[0].lower()
        if key in seen:
            continue
        seen.add(key)
        must += [a for a in current.must_contain or [] if a not in must]
        may += [a for a in current.may_contain or [] if a not in may]
        for superior in current.superior or []:
            found = schema.object_classes.get(superior)
            if found is not None:
                pending.append(found)
    return must, may


def _attribute(schema: Any, name: str, *, required: bool, anchor: bool = False) -> DiscoveredAttribute:
    attribute_type = schema.attribute_types.get(name)
    syntax = _syntax(schema, attribute_type)
    found_type = SYNTAXES.get(syntax or "", AttributeType.STRING)
    if anchor:
        found_type = AttributeType.STRING  # anchors are strings (objectGUID rendered as a GUID string)
    operational = attribute_type is not None and (
        bool(attribute_type.no_user_modification)
        or str(attribute_type.usage or "").lower() not in ("", "0", "userapplications")
    )
    return DiscoveredAttribute(
        name=(attribute_type.name or [name])[0] if attribute_type is not None else name,
        type=found_type,
        multi_valued=not (attribute_type is not None and attribute_type.single_value),
        required=required,
        unique=anchor,
        generated=anchor or operational,
        detail=syntax or "",
    )


def _syntax(schema: Any, attribute_type: Any) -> str | None:
    seen = 0
    while attribute_type is not None and seen < 10:
        if attribute_type.syntax:
            return str(attribute_type.syntax).split("{")[0]
        superior = (attribute_type.superior or [None])[0]
        attribute_type = schema.attribute_types.get(superior) if superior else None
        seen += 1
    return None


def _detail(session: Session) -> dict[str, str]:
    features = session.features
    controls = features.controls
    detail = {
        "vendor": features.vendor or "unknown",
        "version": features.version,
        "naming_contexts": "; ".join(features.naming_contexts),
        "paged_results": _yes(PAGED_RESULTS in controls),
        "permissive_modify": _yes(PERMISSIVE_MODIFY in controls)
        if session.counters.permissive_modify is None
        else _yes(session.counters.permissive_modify),
        "server_side_sort": _yes(SERVER_SIDE_SORT in controls),
        "virtual_list_view": _yes(VLV in controls),
        "supported_controls": ", ".join(sorted(controls)),
    }
    return {key: value for key, value in detail.items() if value}


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
