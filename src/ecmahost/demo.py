"""The demo connector: Microsoft's generic SQL tutorial `Employees` table, served as SCIM Users and Groups.

`ecmahost demo` writes this connector file into the home folder and creates the tables (SQLite by default, or
any SQLAlchemy URL). `ContosoLogin` is also `userName`, `FirstName` also `name.givenName`, and so on, so the same
row answers through Entra's ECMA2Host extension schema and through core SCIM.
"""

from __future__ import annotations

from typing import Any

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
DEMO_NAME = "demo"
DEMO_SQLITE_URL = "sqlite:///demo.db"


def _attr(scim: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"scim": scim, **extra} if scim else dict(extra)


def demo_connector(name: str = DEMO_NAME, url: str = DEMO_SQLITE_URL) -> dict[str, Any]:
    """The demo connector file as plain data (what `ecmahost demo` saves as `connectors/<name>.yaml`)."""
    return {
        "name": name,
        "type": "sql",
        "description": "Demo: Microsoft's generic SQL tutorial Employees table, with groups",
        "connection": {"url": url},
        "object_types": {
            "User": {
                "table": "Employees",
                "anchor": {"attribute": "InternalGUID", "generate": "uuid"},
                "attributes": {
                    "InternalGUID": _attr(mutability="readOnly", case_exact=True),
                    "ContosoLogin": _attr("userName", required=True, unique=True),
                    "FirstName": _attr("name.givenName"),
                    "LastName": _attr("name.familyName"),
                    "Email": _attr('emails[type eq "work"].value'),
                    "AzureID": {},
                    "textID": {},
                    "ExternalId": _attr("externalId", case_exact=True),
                    "DisplayName": _attr("displayName"),
                    "NickName": _attr("nickName"),
                    "Title": _attr("title"),
                    "PreferredLanguage": _attr("preferredLanguage"),
                    "Department": _attr(f"{ENTERPRISE}:department"),
                    "EmployeeNumber": _attr(f"{ENTERPRISE}:employeeNumber"),
                    "CostCenter": _attr(f"{ENTERPRISE}:costCenter"),
                    "Organization": _attr(f"{ENTERPRISE}:organization"),
                    "ManagerGUID": _attr(f"{ENTERPRISE}:manager.value", type="reference"),
                    "Active": _attr("active", type="boolean"),
                    "IsSoftDeleted": {"type": "boolean"},
                    "PhoneNumbers": _attr(
                        "phoneNumbers",
                        type="complex",
                        multi_valued=True,
                        sub_attributes=["value", "type", "primary"],
                    ),
                },
                "child_tables": {
                    "PhoneNumbers": {
                        "table": "EmployeePhoneNumbers",
                        "key": "EmployeeGUID",
                        "columns": {"value": "Value", "type": "Type", "primary": "IsPrimary"},
                    }
                },
                "timestamps": {"created": "CreatedAt", "modified": "ModifiedAt"},
                "deprovisioning": {"disable": {"set": {"Active": False}}, "delete": "delete"},
            },
            "Group": {
                "table": "Groups",
                "anchor": {"attribute": "GroupGUID", "generate": "uuid"},
                "attributes": {
                    "GroupGUID": _attr(mutability="readOnly", case_exact=True),
                    "DisplayName": _attr("displayName", required=True, unique=True),
                    "ExternalId": _attr("externalId", case_exact=True),
                    "Description": {},
                },
                "members": {"table": "GroupMembers", "group_key": "GroupGUID", "member_key": "MemberGUID"},
                "timestamps": {"created": "CreatedAt", "modified": "ModifiedAt"},
                "deprovisioning": {"delete": "delete"},
            },
        },
    }
