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
from ecmahost.host import EMBEDDED, Host
from ecmahost.http.app import HostApp
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
    return Host(home, EMBEDDED, settings=HostSettings()).app()


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
        ("GET", f"{BASE}/users", "list", {"resource": "users"}),
        ("DELETE", f"{BASE}/USERS/abc", "item", {"resource": "USERS", "id": "abc"}),
        ("POST", f"{BASE}/groups", "list", {"resource": "groups"}),
        ("GET", f"{BASE}/schemas", "Schemas", {}),
        ("GET", f"{BASE}/SCHEMAS/urn:x", "Schemas/id", {"id": "urn:x"}),
        ("GET", f"{BASE}/resourcetypes/user", "ResourceTypes/id", {"id": "user"}),
        ("GET", f"{BASE}/serviceproviderconfig", "ServiceProviderConfig", {}),
        ("POST", f"{BASE}/Schemas", "Schemas", {}),
        ("DELETE", f"{BASE}/ServiceProviderConfig", "ServiceProviderConfig", {}),
        ("PUT", f"{BASE}/ResourceTypes/User", "ResourceTypes/id", {"id": "User"}),
        ("DELETE", f"{BASE}/Users", "list", {"resource": "Users"}),
        ("POST", f"{BASE}/Users/abc", "item", {"resource": "Users", "id": "abc"}),
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
        ("OPTIONS", f"{BASE}/Users"),
        ("HEAD", f"{BASE}/Schemas"),
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
    ("PUT", f"{BASE}/ResourceTypes", {}),
    ("PATCH", f"{BASE}/ServiceProviderConfig", {}),
    ("DELETE", f"{BASE}/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", {}),
    ("DELETE", f"{BASE}/Users", {}),
    ("POST", f"{BASE}/Users/abc", {}),
    ("OPTIONS", f"{BASE}/Users", {}),
    ("GET", f"{BASE}/users", {}),
    ("GET", f"{BASE}/GROUPS/no-such-group", {}),
    ("GET", f"{BASE}/schemas/URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER", {}),
    ("GET", f"{BASE}/resourcetypes", {}),
    ("GET", f"{BASE}/SERVICEPROVIDERCONFIG", {}),
    ("GET", f"{BASE}/Users/a/b", {}),
    ("GET", f"{BASE}", {}),
    ("GET", "/ecma2host_Demo/scim/Users", {}),
    ("GET", "/ecma2host_demo/scimx/Users", {}),
    ("PATCH", f"{BASE}/Users/no-such-user", {"json": {"schemas": [], "Operations": "x"}}),
    ("GET", "/health", {}),
]


def _answers(app: Any, lifespan_app: HostApp) -> list[tuple[int, Any, str | None]]:
    async def run() -> list[tuple[int, Any, str | None]]:
        async with lifespan_app.router.lifespan_context(lifespan_app):
            transport = httpx.ASGITransport(app=app)
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with httpx.AsyncClient(transport=transport, base_url="https://testserver", headers=headers) as client:
                answers = []
                for method, path, options in ODD_AND_ORDINARY:
                    response = await client.request(method, path, **options)
                    body = response.json() if "json" in response.headers.get("content-type", "") else response.text
                    answers.append((response.status_code, body, response.headers.get("allow")))
                return answers

    return asyncio.run(run())


def test_the_app_answers_every_path_as_the_starlette_routes_alone(app: HostApp) -> None:
    fast = _answers(app, app)
    plain = _answers(app.starlette, app)
    statuses = [status for status, _, _ in fast]
    assert statuses == [200, 404, 404, 404, 200, 200] + [405] * 7 + [200, 404, 200, 200, 200] + [404] * 4 + [400, 200]
    assert fast == plain


def test_a_method_an_endpoint_does_not_serve_gets_405_with_allow_and_a_scim_error(app: HostApp) -> None:
    answers = dict(zip([(method, path) for method, path, _ in ODD_AND_ORDINARY], _answers(app, app), strict=True))
    for (method, _path), (status, body, allow) in answers.items():
        if status != 405:
            continue
        assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert body["status"] == "405"
        assert method in body["detail"]
        assert allow is not None
        assert method not in allow.split(", ")
    assert answers[("POST", f"{BASE}/Schemas")][2] == "GET, HEAD"
    assert answers[("DELETE", f"{BASE}/Users")][2] == "GET, HEAD, POST"
    assert answers[("POST", f"{BASE}/Users/abc")][2] == "GET, HEAD, PUT, PATCH, DELETE"
    assert answers[("OPTIONS", f"{BASE}/Users")][2] == "GET, HEAD, POST"


def test_a_search_across_resource_types_answers_501_not_implemented(app: HostApp) -> None:
    """RFC 7644 §3.12: 501 for an operation the server does not support (clients then search per resource type)."""

    async def run() -> httpx.Response:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with httpx.AsyncClient(transport=transport, base_url="https://testserver", headers=headers) as client:
                body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
                return await client.post(f"{BASE}/.search", json=body)

    response = asyncio.run(run())
    assert response.status_code == 501
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert "GET /Users?filter=" in response.json()["detail"]
