"""The discovery documents (RFC 7643 §5-7): `/Schemas`, `/ResourceTypes`, `/ServiceProviderConfig`.

Generated from the connector's configuration, so they list only what the connector stores and serves (its
`views:`); Entra reads `/Schemas` to offer target attributes in its mapping editor (the ECMA2Host extension lists
every selected attribute, names like `-dn-` included). The three documents agree: a ResourceType lists as
`schemaExtensions` exactly the extension schemas `/Schemas` describes for it, and every attribute `render` returns
belongs to a described schema (strict clients such as scim2-tester stop at discovery when they do not). Built once
per base URL; no nulls (Entra rejects them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ecmahost.config.model import AttributeType, LimitsConfig, Returned
from ecmahost.scim import urns
from ecmahost.scim.filter_ast import AttrPath
from ecmahost.scim.mapping import DN, Field, ObjectMapping, norm

CORE_DESCRIPTIONS = {urns.CORE_USER: "User Account", urns.CORE_GROUP: "Group"}


def _attribute(
    name: str,
    item: Field | None,
    *,
    multi: bool = False,
    subs: list[dict[str, Any]] | None = None,
    required: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The schema attribute `name` for `item`; `required` names fields the target itself requires (`required`
    there even when the connector file does not say so)."""
    config = item.config if item else None
    type_ = "complex" if subs is not None else (config.type.value if config else "string")
    doc: dict[str, Any] = {
        "name": name,
        "type": type_,
        "multiValued": multi or bool(config and config.multi_valued),
        "description": (config.description if config and config.description else name),
        "required": bool(config and (config.required or (item is not None and item.name in required))),
        "caseExact": bool(config and config.case_exact),
        "mutability": config.mutability.value if config else "readWrite",
        "returned": (config.returned.value if config and config.returned is not Returned.DEFAULT else "default"),
        "uniqueness": "server" if config and config.unique else "none",
    }
    if subs is not None:
        doc["subAttributes"] = subs
    if type_ == "reference":
        doc["referenceTypes"] = ["User", "external"]
    if type_ == "complex" or type_ == "boolean":
        doc.pop("caseExact")
    return doc


def _element_subs(item: Field) -> list[dict[str, Any]]:
    subs = []
    for sub in item.config.sub_attributes:
        doc = _attribute(sub, None)
        if sub.lower() == "primary":
            doc["type"] = AttributeType.BOOLEAN.value
            doc.pop("caseExact")
        subs.append(doc)
    return subs


def _element_sub_attributes(doc: dict[str, Any], mapping: ObjectMapping, item: Field, required: frozenset[str]) -> None:
    """The sub-attributes of a value-filtered mapping such as `emails[type eq "work"].value`: the mapped one, and
    each selector (`type`) with the values the connector stores as `canonicalValues` (RFC 7643 §7), since an element
    of another type has nowhere to go (strict clients pick their test values from them)."""
    assert item.core is not None
    subs = {s["name"].lower(): s for s in doc["subAttributes"]}
    key = norm(AttrPath(item.core.attr.attr, urn=item.core.attr.urn), mapping.core_urn)
    selectors = [group.selector for group in mapping.elements.get(key, [])]
    for name in dict.fromkeys([*(k for selector in selectors for k in selector), (item.core.sub or "value").lower()]):
        if name not in subs:
            mapped = name == (item.core.sub or "value").lower()
            subs[name] = _attribute(name, item if mapped else None, required=required)
            doc["subAttributes"].append(subs[name])
        values = [selector[name] for selector in selectors if isinstance(selector.get(name), str)]
        if values:
            subs[name]["canonicalValues"] = list(dict.fromkeys(values))


def _core_attributes(mapping: ObjectMapping, urn: str | None, required: frozenset[str]) -> list[dict[str, Any]]:
    """The attributes of the core (urn None) or enterprise schema that this mapping serves, nested by parent."""
    tops: dict[str, dict[str, Any]] = {}
    for item in mapping.fields.values():
        core = item.core
        if core is None or (core.attr.urn or None) != urn:
            continue
        top = core.attr.attr
        if core.value_filter is not None:
            doc = tops.setdefault(top.lower(), _attribute(top, None, multi=True, subs=[]))
            _element_sub_attributes(doc, mapping, item, required)
            doc["required"] = doc["required"] or any(sub["required"] for sub in doc["subAttributes"])
        elif core.attr.sub:
            doc = tops.setdefault(top.lower(), _attribute(top, None, subs=[]))
            doc["subAttributes"].append(_attribute(core.attr.sub, item, required=required))
            doc["required"] = doc["required"] or doc["subAttributes"][-1]["required"]
        elif item.is_complex:
            tops[top.lower()] = _attribute(top, item, multi=True, subs=_element_subs(item), required=required)
        else:
            tops[top.lower()] = _attribute(top, item, required=required)
    return list(tops.values())


def _members_attribute() -> dict[str, Any]:
    subs = [
        {**_attribute("value", None), "mutability": "immutable"},
        {
            **_attribute("$ref", None),
            "type": "reference",
            "referenceTypes": ["User"],
            "mutability": "immutable",
        },
        {**_attribute("type", None), "mutability": "immutable", "canonicalValues": ["User"]},
    ]
    return _attribute("members", None, multi=True, subs=subs)


def _described(
    mapping: ObjectMapping, required: frozenset[str] = frozenset()
) -> list[tuple[str, str, str, list[dict[str, Any]]]]:
    """(urn, name, description, attributes) of each schema the mapping serves, the core schema first."""
    core = _core_attributes(mapping, None, required)
    if mapping.has_members:
        core.append(_members_attribute())
    documents = [(mapping.core_urn, mapping.object_type, CORE_DESCRIPTIONS[mapping.core_urn], core)]
    enterprise = _core_attributes(mapping, urns.ENTERPRISE_USER, required) if mapping.object_type == "User" else []
    if enterprise:
        documents.append((urns.ENTERPRISE_USER, "EnterpriseUser", "Enterprise User", enterprise))
    if not mapping.extension_view:
        return documents
    extension = [
        _attribute(i.name, i, multi=i.is_complex, subs=_element_subs(i) if i.is_complex else None, required=required)
        for i in mapping.served.values()
    ]
    if mapping.dn_autogenerated or mapping.dn_attribute:
        extension.append({**_attribute(DN, None), "mutability": "readOnly", "description": "distinguished name"})
    documents.append(
        (mapping.extension_urn, f"ECMA2Host{mapping.object_type}", "Selected target attributes", extension)
    )
    return documents


def extension_urns(mapping: ObjectMapping) -> list[str]:
    """The extension schemas `/Schemas` describes for this object type: its ResourceType's `schemaExtensions`."""
    return [urn for urn, *_ in _described(mapping)[1:]]


def schema_documents(
    mapping: ObjectMapping, base_url: str, required: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """`/Schemas` for one object type; `required` names the selected attributes the target requires on create
    (`ClearRules.required`: NOT NULL without default, LDAP MUST), described `required` as a client must treat them."""
    documents = _described(mapping, required)
    return [
        {
            "schemas": [urns.SCHEMA],
            "id": urn,
            "name": name,
            "description": description,
            "attributes": attributes,
            "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{urn}"},
        }
        for urn, name, description, attributes in documents
    ]


def resource_type_document(mapping: ObjectMapping, base_url: str) -> dict[str, Any]:
    endpoint = "/Users" if mapping.object_type == "User" else "/Groups"
    document: dict[str, Any] = {
        "schemas": [urns.RESOURCE_TYPE],
        "id": mapping.object_type,
        "name": mapping.object_type,
        "endpoint": endpoint,
        "description": CORE_DESCRIPTIONS[mapping.core_urn],
        "schema": mapping.core_urn,
        "meta": {
            "resourceType": "ResourceType",
            "location": f"{base_url}/ResourceTypes/{mapping.object_type}",
        },
    }
    extensions = [{"schema": urn, "required": False} for urn in extension_urns(mapping)]
    if extensions:  # optional (RFC 7643 §6); left out rather than empty
        document["schemaExtensions"] = extensions
    return document


def changes_password(mappings: Iterable[ObjectMapping]) -> bool:
    """Whether a client can set `password` (RFC 7643 §5 `changePassword`): some object type maps it."""
    return any(
        item.core is not None and item.core.attr.attr.lower() == "password" and not item.core.attr.urn and item.writable
        for mapping in mappings
        for item in mapping.served.values()
    )


def service_provider_config(limits: LimitsConfig, base_url: str, *, change_password: bool = False) -> dict[str, Any]:
    """What the host supports (RFC 7643 §5): PATCH; filters with at most `max_page_size` results a response (a
    larger `count` is lowered to it); `sortBy`/`sortOrder`; `meta.version` with `ETag` and `If-Match`; no bulk."""
    return {
        "schemas": [urns.SERVICE_PROVIDER_CONFIG],
        "documentationUri": "https://github.com/ecmahost/ecmahost/blob/main/docs/scim-support.md",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": limits.max_body_bytes},
        "filter": {"supported": True, "maxResults": limits.max_page_size},
        "changePassword": {"supported": change_password},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "The connector's secret token, sent as Authorization: Bearer <token>",
                "primary": True,
            }
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base_url}/ServiceProviderConfig"},
    }


def list_response(resources: list[dict[str, Any]], total: int | None = None, start: int = 1) -> dict[str, Any]:
    return {
        "schemas": [urns.LIST_RESPONSE],
        "totalResults": len(resources) if total is None else total,
        "Resources": resources,
        "startIndex": start,
        "itemsPerPage": len(resources),
    }
