"""`/Schemas` over the real app on a real SQLite table: an attribute the target requires (NOT NULL without a
default) is described `required` even when the connector file does not say so (strict clients then always send it
and never try to remove it), its parent too; a nullable one, or one with a default, is not."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import httpx

from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home
from ecmahost.host import EMBEDDED, Host
from ecmahost.settings import HostSettings

TOKEN = "discovery-token-0123456789"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def _connector(db: Path) -> dict[str, Any]:
    return {
        "name": "hr",
        "type": "sql",
        "views": "core",
        "connection": {"url": f"sqlite:///{db}"},
        "object_types": {
            "User": {
                "table": "People",
                "anchor": "PersonId",
                "attributes": {
                    "PersonId": {"mutability": "readOnly", "case_exact": True},
                    "Login": {"scim": "userName", "required": True, "unique": True},
                    "Family": {"scim": "name.familyName"},
                    "Given": {"scim": "name.givenName"},
                    "Title": {"scim": "title"},
                    "Active": {"scim": "active", "type": "boolean"},
                },
            }
        },
    }


def _schemas(tmp_path: Path) -> dict[str, Any]:
    db = tmp_path / "hr.db"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE People (PersonId VARCHAR(36) PRIMARY KEY, Login TEXT NOT NULL UNIQUE, "
            "Family TEXT NOT NULL, Given TEXT, Title TEXT, Active BOOLEAN NOT NULL DEFAULT 1)"
        )
    home = Home(tmp_path / "home")
    home.ensure()
    store = ConnectorStore(home)
    store.save(_connector(db))
    store.set_token("hr", TOKEN)
    app = Host(home, EMBEDDED, settings=HostSettings()).app()

    async def run() -> dict[str, Any]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with httpx.AsyncClient(transport=transport, base_url="https://testserver", headers=headers) as client:
                response = await client.get(f"/ecma2host_hr/scim/Schemas/{CORE_USER}")
                assert response.status_code == 200, response.text
                return dict(response.json())

    return asyncio.run(run())


def test_schemas_describe_what_the_target_requires(tmp_path: Path) -> None:
    attributes = {a["name"]: a for a in _schemas(tmp_path)["attributes"]}
    assert attributes["userName"]["required"] is True, "required in the file"
    name = {s["name"]: s["required"] for s in attributes["name"]["subAttributes"]}
    assert name == {"familyName": True, "givenName": False}, "Family is NOT NULL without a default"
    assert attributes["name"]["required"] is True, "a required sub-attribute makes its parent required"
    assert attributes["title"]["required"] is False
    assert attributes["active"]["required"] is False, "NOT NULL with a default: the target fills it"
