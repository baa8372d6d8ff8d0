"""Checking a SCIM error as a client would act on it: status, scimType, and a detail free of the target's raw
text (driver messages, SQLSTATEs, LDAP result names)."""

from __future__ import annotations

import re

import httpx

DRIVER_TEXT = re.compile(
    r"constraint failed|IntegrityError|DataError|OperationalError|violates|SQLSTATE|sqlite3|psycopg|asyncpg|pymysql"
    r"|Cannot add or update|cannot be null|Data too long|value too long for type|character varying|\(\d{4},|"
    r"\b[0-9A-Z]{2}\d{3}\b|Traceback|objectClassViolation|invalidAttributeSyntax|constraintViolation",
)


def refused(response: httpx.Response, status: int, scim_type: str | None) -> str:
    """The detail of a SCIM error with this status and scimType, checked for driver text."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body.get("scimType") == scim_type
    detail: str = body["detail"]
    assert not DRIVER_TEXT.search(detail), f"driver text in the detail: {detail}"
    return detail
