"""The SCIM routing shortcut (`ScimRoutes` in `HostApp`) resolves exactly what the Starlette routes declare, and
the app answers every path, odd ones included, as the Starlette app alone does."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.sql.demo_schema import create_demo_tables
from ecmahost.demo import demo_connector
from ecmahost.home import Home
from ecmahost.http.app import HostApp, create_app
from ecmahost.server import build_runtime
from ecmahost.settings import HostSettings

TOKEN = "routes-token-0123456789"
BASE = "/ecma2host_demo/scim"


@pytest.fixture
def app(tmp_path: Path) -> HostApp:
    home = Home(tmp_path / "home")
    home.ensure()
    asyncio.run(create_demo_tables("sqlite:///demo.db", home.root))
    store = ConnectorStore(home)
    store.save(demo_connector("demo", "sqlite:///demo.db"))
    store.set_token("demo", TOKEN)
    return create_app(build_runtime(home), HostSettings())


@pytest.mark.parametrize(
    ("method", "path", "key", "params"),
    [
        ("GET", f"{BASE}/Users", "list", {"resource": "Users"}),
        ("POST", f"{BASE}/Groups", "list", {"resource": "Groups"}),
        ("GET", f"{BASE}/Users/abc", "item", {"resource": "Users", "id": "abc"}),
        ("PATCH", f"{BASE}/Groups/g-1", "item", {"resource": "Groups", "id": "g-1"}),
        ("PUT", f"{BASE}/Users/abc", "item", {"resource": "Users", "id": "abc"}),
        ("DELETE", f"{BASE}/Users/abc", "item", {"resource": "Users", "id": "abc"}),
        ("GET", f"{BASE}/Schemas", "Schemas", {}),
        (
            "GET",
            f"{BASE}/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
            "Schemas/id",
            {"id": "urn:ietf:params:scim:schemas:core:2.0:User"},
        ),
        ("GET", f"{BASE}/ResourceTypes/User", "ResourceTypes/id", {"id": "User"}),
        ("GET", f"{BASE}/ServiceProviderConfig", "ServiceProviderConfig", {}),
        ("GET", f"{BASE}/openapi.json", "openapi.json", {}),
        ("GET", f"{BASE}/ServiceProviderConfig/x", "item", {"resource": "ServiceProviderConfig", "id": "x"}),
    ],
)
def test_scim_paths_resolve_to_the_endpoint_the_starlette_route_names(
    app: HostApp, method: str, path: str, key: str, params: dict[str, str]
) -> None:
    resolved = app.routes.resolve(method, path)
    assert resolved is not None
    endpoint, found = resolved
    assert endpoint is app.routes.endpoints[(key, method)]
    assert found == {"connector": "demo", **params}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", f"{BASE}/Schemas"),  # Starlette takes it as a create of resource "Schemas" (400)
        ("DELETE", f"{BASE}/Users"),
        ("GET", f"{BASE}/Users/"),  # trailing slash
        ("GET", f"{BASE}"),
        ("GET", f"{BASE}/"),
        ("GET", f"{BASE}//x"),
        ("GET", f"{BASE}/Users/a/b"),
        ("GET", "/ecma2host_a/b/scim/Users"),
        ("GET", "/ecma2host_/scim/Users"),
        ("GET", "/ecma2host_demo/scimx/Users"),
    ],
)
def test_anything_else_is_left_to_starlette(app: HostApp, method: str, path: str) -> None:
    assert app.routes.resolve(method, path) is None


ODD_AND_ORDINARY = [
    ("GET", f"{BASE}/Users", {"params": {"filter": 'userName eq "nobody@contoso.com"'}}),
    ("GET", f"{BASE}/Users/no-such-user", {}),
    ("GET", f"{BASE}/Widgets", {}),
    ("GET", f"{BASE}/Schemas/urn:nope", {}),
    ("GET", f"{BASE}/ResourceTypes/Group", {}),
    ("GET", f"{BASE}/ServiceProviderConfig", {}),
    ("POST", f"{BASE}/Schemas", {}),
    ("DELETE", f"{BASE}/Users", {}),
    ("GET", f"{BASE}/Users/a/b", {}),
    ("GET", f"{BASE}", {}),
    ("GET", "/ecma2host_Demo/scim/Users", {}),
    ("GET", "/ecma2host_demo/scimx/Users", {}),
    ("PATCH", f"{BASE}/Users/no-such-user", {"json": {"schemas": [], "Operations": "x"}}),
    ("GET", "/health", {}),
]


def _answers(app: Any, lifespan_app: HostApp) -> list[tuple[int, Any]]:
    async def run() -> list[tuple[int, Any]]:
        async with lifespan_app.router.lifespan_context(lifespan_app):
            transport = httpx.ASGITransport(app=app)
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with httpx.AsyncClient(transport=transport, base_url="https://testserver", headers=headers) as client:
                answers = []
                for method, path, options in ODD_AND_ORDINARY:
                    response = await client.request(method, path, **options)
                    body = response.json() if "json" in response.headers.get("content-type", "") else response.text
                    answers.append((response.status_code, body))
                return answers

    return asyncio.run(run())


def test_the_app_answers_every_path_as_the_starlette_routes_alone(app: HostApp) -> None:
    fast = _answers(app, app)
    plain = _answers(app.starlette, app)
    assert [status for status, _ in fast] == [200, 404, 404, 404, 200, 200, 400, 405, 404, 404, 404, 404, 400, 200]
    assert fast == plain
