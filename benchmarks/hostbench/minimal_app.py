"""The yardstick issue 6 sets the host against: a minimal hand-written ASGI handler with asyncpg and orjson.

It serves exactly what the GET filter, dummy query and POST workloads send, on the benchmark's own table, and
nothing else: a bearer token compared in constant time, `GET /Users?filter=userName eq "..."` as one prepared
SELECT on the same index the host uses, `POST /Users` as one `INSERT ... RETURNING`, a small SCIM body from
orjson. No routing table, no mapping, no validation beyond what keeps it honest (the filter shape, JSON). It is
what a host with no features at all could do over the same uvicorn/TLS command, per worker one asyncpg pool.

Settings come from the environment: `HOSTBENCH_TOKEN`, `HOSTBENCH_DSN` (a libpq URL).
"""

from __future__ import annotations

import os
import re
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import asyncpg
import orjson

PREFIX = "/minimal"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
_FILTER = re.compile(r'^userName eq "([^"]*)"$')
SELECT = (
    'SELECT "InternalGUID", "ContosoLogin", "FirstName", "LastName", "Email", "DisplayName", "Department", '
    '"Active" FROM "Employees" WHERE lower("ContosoLogin") = lower($1) LIMIT 100'
)
INSERT = (
    'INSERT INTO "Employees" ("InternalGUID", "ContosoLogin", "ExternalId", "FirstName", "LastName", "Email", '
    '"DisplayName", "Department", "EmployeeNumber", "CostCenter", "Organization", "Active", "CreatedAt", '
    '"ModifiedAt") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING "InternalGUID"'
)


def _headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", b"application/scim+json"), (b"content-length", str(len(body)).encode())]


def _user(row: Any) -> dict[str, Any]:
    return {
        "schemas": [USER, ENTERPRISE],
        "id": row["InternalGUID"],
        "userName": row["ContosoLogin"],
        "name": {"givenName": row["FirstName"], "familyName": row["LastName"]},
        "displayName": row["DisplayName"],
        "emails": [{"value": row["Email"], "type": "work", "primary": True}],
        "active": row["Active"],
        ENTERPRISE: {"department": row["Department"]},
        "meta": {"resourceType": "User"},
    }


class MinimalApp:
    def __init__(self) -> None:
        self.authorization = f"Bearer {os.environ['HOSTBENCH_TOKEN']}".encode()
        self.dsn = os.environ["HOSTBENCH_DSN"]
        self.pool: asyncpg.Pool | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            self.pool = await asyncpg.create_pool(self.dsn, min_size=4, max_size=10)
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await self.pool.close()
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status, payload = await self._answer(scope, body)
        data = orjson.dumps(payload)
        await send({"type": "http.response.start", "status": status, "headers": _headers(data)})
        await send({"type": "http.response.body", "body": data})

    async def _answer(self, scope: dict[str, Any], body: bytes) -> tuple[int, dict[str, Any]]:
        authorization = dict(scope["headers"]).get(b"authorization", b"")
        if not secrets.compare_digest(authorization, self.authorization):
            return 401, {"status": "401"}
        if scope["path"] != f"{PREFIX}/Users":
            return 404, {"status": "404"}
        assert self.pool is not None
        if scope["method"] == "GET":
            query = unquote(scope["query_string"].decode()).removeprefix("filter=")
            match = _FILTER.match(query)
            if match is None:
                return 400, {"status": "400", "scimType": "invalidFilter"}
            rows = await self.pool.fetch(SELECT, match.group(1))
            resources = [_user(row) for row in rows]
            return 200, {"schemas": [LIST], "totalResults": len(resources), "Resources": resources, "startIndex": 1}
        if scope["method"] == "POST":
            return await self._create(orjson.loads(body))
        return 405, {"status": "405"}

    async def _create(self, user: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        assert self.pool is not None
        name, enterprise = user.get("name") or {}, user.get(ENTERPRISE) or {}
        emails = user.get("emails") or [{}]
        now = datetime.now(UTC)
        anchor = await self.pool.fetchval(
            INSERT,
            str(uuid.uuid4()),
            user["userName"],
            user.get("externalId"),
            name.get("givenName"),
            name.get("familyName"),
            emails[0].get("value"),
            user.get("displayName"),
            enterprise.get("department"),
            enterprise.get("employeeNumber"),
            enterprise.get("costCenter"),
            enterprise.get("organization"),
            bool(user.get("active", True)),
            now,
        )
        return 201, {"schemas": [USER, ENTERPRISE], "id": anchor, **user, "meta": {"resourceType": "User"}}


def create_app() -> MinimalApp:
    return MinimalApp()
