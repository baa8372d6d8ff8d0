"""SCIM routing: the fast resolver of SCIM paths, endpoint names in any case, and `405` with `Allow`.

One route table (`ScimRoute`s, declared in `http.app`) gives both: `scim_routes` builds from it the fast resolver
`ScimRoutes`, which resolves `/ecma2host_<Name>/scim/<Endpoint>[/<id>]` with one split and dict look-ups, and the
Starlette routes with a 405 route per path, which answer what the resolver leaves (trailing slashes, odd paths,
methods outside GET/POST/PUT/PATCH/DELETE) and the 404/405 answers. Endpoint names (`/users`, `/SCHEMAS`)
match in any case, as in Microsoft's SCIM reference implementation; the connector name stays case-sensitive, as
in Microsoft's ECMA host. This module does not authenticate or call the service.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ecmahost import errors
from ecmahost.http.responses import error_response

Endpoint = Callable[[Request], Awaitable[Response]]

Handler = TypeVar("Handler")

PREFIX = "/ecma2host_"
ITEM_KEYS = ("list", "item")
"""The route keys of `/{resource}` and `/{resource}/{id}`; every other key names a discovery endpoint."""
RESOURCES = frozenset({"Users", "Groups"})
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
"""The methods a SCIM endpoint answers with its handler or with 405; any other method is left to Starlette."""


@dataclass(frozen=True, slots=True)
class ScimRoute(Generic[Handler]):
    """One SCIM path of the route table: its key (`list`, `item`, a discovery name, `<name>/id` with an id), its
    path under `/ecma2host_{connector}/scim` and its handler per method."""

    key: str
    path: str
    handlers: Mapping[str, Handler]


def scim_routes(
    table: tuple[ScimRoute[Handler], ...], endpoint: Callable[[Handler], Endpoint]
) -> tuple[list[Route], ScimRoutes]:
    """The Starlette routes and the fast resolver of `table`, each handler made an endpoint once by `endpoint`.
    Each path also gets a route answering 405 to the other methods of `METHODS`, declared before `/{resource}`
    can take them."""
    routes: list[Route] = []
    endpoints: dict[tuple[str, str], Endpoint] = {}
    allowed: dict[str, list[str]] = {}
    for entry in table:
        path = f"/ecma2host_{{connector}}/scim{entry.path}"
        served = {method: endpoint(handler) for method, handler in entry.handlers.items()}
        refused = [method for method in METHODS if method not in served]
        refuse = refusal(list(served))
        endpoints |= {(entry.key, method): served_by for method, served_by in served.items()}
        endpoints |= {(entry.key, method): refuse for method in refused}
        allowed[entry.key] = list(served)
        declared = [Route(path, served_by, methods=[method]) for method, served_by in served.items()]
        declared.append(Route(path, refuse, methods=refused))
        if entry.key not in ITEM_KEYS:
            declared = [caseless(route, entry.key.partition("/")[0]) for route in declared]
        routes += declared
    return routes, ScimRoutes(endpoints, allowed)


def caseless(route: Route, name: str) -> Route:
    """`route` matching the endpoint `name` (`Schemas`, `openapi.json`) in any case, as `ScimRoutes` does."""
    literal = re.escape(f"/scim/{name}")
    route.path_regex = re.compile(route.path_regex.pattern.replace(literal, f"(?i:{literal})", 1))
    return route


def allow_header(methods: list[str]) -> str:
    """`Allow` for an endpoint serving `methods` (Starlette answers HEAD wherever GET is served)."""
    return ", ".join(part for method in methods for part in ((method, "HEAD") if method == "GET" else (method,)))


def method_not_allowed(request: Request, allow: str) -> Response:
    """405 with `Allow` and a SCIM Error body."""
    detail = f"{request.method} is not allowed on {request.url.path[:200]}; this endpoint allows {allow}"
    response = error_response(errors.MethodNotAllowed(detail))
    response.headers["Allow"] = allow
    return response


def refusal(methods: list[str]) -> Endpoint:
    """The endpoint for the methods of `METHODS` that an endpoint serving `methods` does not: 405."""
    allow = allow_header(methods)

    async def refuse(request: Request) -> Response:
        return method_not_allowed(request, allow)

    return refuse


class ScimRoutes:
    """The SCIM paths resolved with one split and a dict look-up instead of Starlette's list of regular
    expressions (routing was about a tenth of a GET filter's CPU). Resolves exactly what the Starlette routes of
    `scim_routes` declare; anything else (a trailing slash, an odd path, a method outside `METHODS`) is left to
    Starlette."""

    def __init__(self, endpoints: dict[tuple[str, str], Endpoint], allowed: dict[str, list[str]]) -> None:
        self.endpoints = endpoints
        """(route key, method) -> endpoint; route keys: `list`, `item`, and the discovery names (`Schemas/id`...)"""
        self.allowed = {key: allow_header(methods) for key, methods in allowed.items()}
        """route key -> its `Allow` header"""
        self._keys = {endpoint: key for (key, method), endpoint in endpoints.items() if method == "GET"}
        """GET endpoint -> its route key, for `allow` (every SCIM route serves GET)"""
        keys = {key for key, _ in endpoints if key not in ITEM_KEYS}
        self.discovery = frozenset(key for key in keys if "/" not in key)
        self.with_id = frozenset(key.partition("/")[0] for key in keys if "/" in key)
        self.caseless = {name.lower(): name for name in self.discovery}

    def resolve(self, method: str, path: str) -> tuple[Endpoint, dict[str, str]] | None:
        name, found, tail = path[len(PREFIX) :].partition("/scim/")
        if not found or not name or "/" in name:
            return None
        parts = tail.split("/")
        if not all(parts) or len(parts) > 2:
            return None
        params = {"connector": name}
        first = parts[0]
        discovery = first if first in self.discovery else None
        if discovery is None and first not in RESOURCES:  # the canonical names cost no lower()
            discovery = self.caseless.get(first.lower())
        if discovery is not None and (len(parts) == 1 or discovery in self.with_id):
            key = discovery if len(parts) == 1 else f"{discovery}/id"
        else:
            key = "list" if len(parts) == 1 else "item"
            params["resource"] = first
        if len(parts) == 2:
            params["id"] = parts[1]
        endpoint = self.endpoints.get((key, method))
        return None if endpoint is None else (endpoint, params)

    def allow(self, path: str) -> str | None:
        """The `Allow` header of a SCIM path, or None for a path that is not one."""
        resolved = self.resolve("GET", path)
        return None if resolved is None else self.allowed.get(self._keys.get(resolved[0], ""))
