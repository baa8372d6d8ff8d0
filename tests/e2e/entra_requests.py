"""The requests Entra sends (shared/entra-scim-contract.md), and the checks of its answers, shared by every
end-to-end test that plays Entra against a connector."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ECMA = "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_JSON = "application/scim+json"


def entra_user(login: str | None = None) -> dict[str, Any]:
    """Entra's create body (use-scim-to-provision-users-and-groups, request 1), nulls and empty roles included."""
    login = login or f"Test_User_{uuid.uuid4()}"
    return {
        "schemas": [CORE_USER, ENTERPRISE],
        "externalId": str(uuid.uuid4()),
        "userName": login,
        "active": True,
        "addresses": None,
        "phoneNumbers": None,
        "title": None,
        "manager": None,
        "emails": [{"primary": True, "type": "work", "value": f"{login}@testuser.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": [],
    }


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def create_user(scim: httpx.Client, login: str | None = None) -> dict[str, Any]:
    response = scim.post("/Users", json=entra_user(login))
    assert response.status_code == 201, response.text
    return response.json()


def assert_error(response: httpx.Response, status: int, scim_type: str | None = None) -> dict[str, Any]:
    """A SCIM Error body with this status and scimType, as application/scim+json."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(SCIM_JSON)
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert body["detail"]
    return body
