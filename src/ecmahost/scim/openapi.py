"""An OpenAPI 3.0 description of one connector's SCIM endpoint, generated from its mapping.

Served at `/ecma2host_<Name>/scim/openapi.json` for tools (API explorers, client generators, and schemathesis,
which the test suite runs against the host). It describes the shapes the host accepts, in the views the
connector serves (`views:`: no ECMA2Host extension with `core`, no core attributes with `extension`); the SCIM
rules themselves (RFC 7643/7644, Entra's quirks) live in the rest of this package.
"""

from __future__ import annotations

from typing import Any

from ecmahost.config.model import AttributeType, LimitsConfig, Mutability
from ecmahost.scim import urns
from ecmahost.scim.mapping import Field, ObjectMapping

JSON_TYPES = {
    AttributeType.STRING: "string",
    AttributeType.BOOLEAN: "boolean",
    AttributeType.INTEGER: "integer",
    AttributeType.DECIMAL: "number",
    AttributeType.DATETIME: "string",
    AttributeType.REFERENCE: "string",
    AttributeType.BINARY: "string",
}
SCIM_JSON = "application/scim+json"


def _field_schema(item: Field) -> dict[str, Any]:
    if item.is_complex:
        element = {"type": "object", "properties": {s: {"type": "string"} for s in item.config.sub_attributes}}
        if "primary" in item.config.sub_attributes:
            element["properties"]["primary"] = {"type": "boolean"}
        return {"type": "array", "items": element}
    scalar: dict[str, Any] = {"type": JSON_TYPES[item.type], "nullable": True}
    if item.type is AttributeType.DATETIME:
        scalar["format"] = "date-time"
    return {"type": "array", "items": scalar} if item.config.multi_valued else scalar


def _place(properties: dict[str, Any], item: Field, core_urn: str) -> None:
    core = item.core
    if core is None:
        return
    holder = properties
    if core.attr.urn and core.attr.urn.lower() != core_urn.lower():
        holder = properties.setdefault(core.attr.urn, {"type": "object", "properties": {}})["properties"]
    if core.value_filter is not None:
        element = holder.setdefault(core.attr.attr, {"type": "array", "items": {"type": "object", "properties": {}}})
        element["items"]["properties"]["type"] = {"type": "string"}
        element["items"]["properties"][core.sub or "value"] = _field_schema(item)
    elif core.attr.sub:
        parent = holder.setdefault(core.attr.attr, {"type": "object", "properties": {}})
        parent["properties"][core.attr.sub] = _field_schema(item)
    else:
        holder[core.attr.attr] = _field_schema(item)


def resource_schema(mapping: ObjectMapping) -> dict[str, Any]:
    properties: dict[str, Any] = {"schemas": {"type": "array", "items": {"type": "string"}, "minItems": 1}}
    extension: dict[str, Any] = {}
    for item in mapping.served.values():
        if item.config.mutability is Mutability.READ_ONLY:
            continue
        _place(properties, item, mapping.core_urn)
        if item.extension:
            extension[item.name] = _field_schema(item)
    if mapping.extension_view:
        properties[mapping.extension_urn] = {"type": "object", "properties": extension}
    if mapping.has_members:
        member = {"type": "object", "properties": {"value": {"type": "string"}}, "required": ["value"]}
        properties["members"] = {"type": "array", "items": member}
    required = ["schemas"]
    return {"type": "object", "properties": properties, "required": required}


PATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["schemas", "Operations"],
    "properties": {
        "schemas": {"type": "array", "items": {"type": "string", "enum": [urns.PATCH_OP]}},
        "Operations": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["op"],
                "properties": {
                    "op": {"type": "string", "enum": ["add", "replace", "remove", "Add", "Replace", "Remove"]},
                    "path": {"type": "string"},
                    "value": {},
                },
            },
        },
    },
}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["schemas", "status"],
    "properties": {
        "schemas": {"type": "array", "items": {"type": "string"}},
        "status": {"type": "string"},
        "scimType": {"type": "string"},
        "detail": {"type": "string"},
    },
}


def _body(ref: str) -> dict[str, Any]:
    return {"required": True, "content": {SCIM_JSON: {"schema": {"$ref": ref}}}}


def _responses(*statuses: int, body: str | None = "#/components/schemas/Any") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status in statuses:
        content = {} if status == 204 or body is None else {SCIM_JSON: {"schema": {"$ref": body}}}
        out[str(status)] = {"description": str(status), **({"content": content} if content else {})}
    error = {SCIM_JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}
    for status in (400, 401, 404, 409, 412, 413, 415, 503):
        out.setdefault(str(status), {"description": "SCIM error", "content": error})
    return out


def _list_parameters() -> list[dict[str, Any]]:
    names = ["filter", "attributes", "excludedAttributes", "sortBy", "sortOrder"]
    params = [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}} for n in names]
    params += [
        {"name": n, "in": "query", "required": False, "schema": {"type": "integer"}} for n in ("startIndex", "count")
    ]
    return params


def _resource_paths(mapping: ObjectMapping) -> dict[str, Any]:
    endpoint = "/Users" if mapping.object_type == "User" else "/Groups"
    ref = f"#/components/schemas/{mapping.object_type}"
    id_param = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    patch_status = 204 if mapping.object_type == "Group" else 200
    return {
        endpoint: {
            "get": {"parameters": _list_parameters(), "responses": _responses(200)},
            "post": {"requestBody": _body(ref), "responses": _responses(201)},
        },
        f"{endpoint}/{{id}}": {
            "parameters": id_param,
            "get": {"responses": _responses(200)},
            "put": {"requestBody": _body(ref), "responses": _responses(200)},
            "patch": {"requestBody": _body("#/components/schemas/PatchOp"), "responses": _responses(patch_status, 204)},
            "delete": {"responses": _responses(204)},
        },
    }


def openapi_document(mappings: dict[str, ObjectMapping], limits: LimitsConfig, name: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for mapping in mappings.values():
        paths.update(_resource_paths(mapping))
    for discovery in ("/Schemas", "/ResourceTypes", "/ServiceProviderConfig"):
        paths[discovery] = {"get": {"responses": _responses(200)}}
    schemas = {m.object_type: resource_schema(m) for m in mappings.values()}
    schemas.update({"PatchOp": PATCH_SCHEMA, "Error": ERROR_SCHEMA, "Any": {"type": "object"}})
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"ecmahost connector {name}",
            "version": "2.0",
            "description": f"SCIM 2.0 endpoint of connector {name}; bodies up to {limits.max_body_bytes} bytes.",
        },
        "servers": [{"url": f"/ecma2host_{name}/scim"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": schemas},
        "paths": paths,
    }
