"""SCIM schema and message URNs used across the host."""

from __future__ import annotations

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ECMA2HOST_PREFIX = "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:"
"""+ object type name: where every selected target attribute appears, as Entra's ECMA template expects."""

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SERVICE_PROVIDER_CONFIG = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"

CORE_SCHEMAS = {"User": CORE_USER, "Group": CORE_GROUP}


def extension_urn(object_type: str) -> str:
    return ECMA2HOST_PREFIX + object_type
