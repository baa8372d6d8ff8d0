"""The SCIM ASGI app: `/ecma2host_<Name>/scim/...` per connector, plus `/health`.

Each request: find the connector by its case-sensitive name (unknown -> 404), check the bearer token of THAT
connector (-> 401), read and parse the body within the limit (-> 413/415/400), call the provisioning service,
render `application/scim+json`. Known errors become SCIM Error bodies; anything else is a 500 with a request id,
logged once with its traceback and never shown to the client.

Every answered SCIM request goes to the `RequestObserver` (request log, metrics, recent target errors, activity
journal), with the connector and request id bound to the logging context while it runs. `GET /health` answers
without auth or details (for load balancers); `GET /metrics` serves Prometheus metrics, behind a bearer token when
`host.yaml` sets `metrics.token_hash`. The routes come from one table, `SCIM_ROUTES` (see `routing`).

This module does not start or stop anything: the runtime, the observer, the metrics and the lifespan are given by
the one place that assembles the host (`ecmahost.host`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ecmahost import errors
from ecmahost.deadlines import within
from ecmahost.http.auth import authenticate, metrics_token_accepted
from ecmahost.http.limits import ConcurrencyLimiter, FailedAuthLimiter
from ecmahost.http.responses import ScimResponse, error_response, no_content
from ecmahost.http.routing import PREFIX, ScimRoute, ScimRoutes, scim_routes
from ecmahost.http.routing import method_not_allowed as refuse_method
from ecmahost.observability.log_setup import request_context
from ecmahost.observability.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from ecmahost.observability.metrics import Metrics
from ecmahost.observability.request_log import RequestObserver
from ecmahost.runtime import ConnectorRuntime, HostRuntime
from ecmahost.scim.discovery import list_response
from ecmahost.scim.listing import names
from ecmahost.scim.projection import project, returns_of
from ecmahost.settings import HostSettings

logger = logging.getLogger(__name__)

JSON_TYPES = ("application/scim+json", "application/json")
BODY_KEY = "ecmahost.scim_body"
"""Where the parsed request body waits in the ASGI scope for the request log (not `request.state`: reading an
unset attribute there raises and catches an AttributeError on every GET)."""
OBJECT_TYPES = {"Users": "User", "Groups": "Group"}
CASELESS_OBJECT_TYPES = {name.lower(): object_type for name, object_type in OBJECT_TYPES.items()}

Handler = Callable[[Request, ConnectorRuntime, str], Awaitable[Response]]


def _base_url(request: Request, name: str) -> str:
    scope = request.scope
    host = request.headers.get("host")
    if not host:
        server = scope.get("server") or ("localhost", None)
        host = f"{server[0]}:{server[1]}" if server[1] else str(server[0])
    return f"{scope.get('scheme', 'https')}://{host}/ecma2host_{name}/scim"


async def _body(request: Request, limit: int) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise errors.PayloadTooLarge(f"the request body is over the {limit}-byte limit")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in JSON_TYPES and not content_type.endswith("+json"):
        raise errors.UnsupportedMedia(f"send application/scim+json, not {content_type[:60]}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise errors.PayloadTooLarge(f"the request body is over the {limit}-byte limit")
        chunks.append(chunk)
    try:
        body = orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError as exc:
        raise errors.InvalidSyntax(f"the request body is not valid JSON: {exc}") from None
    request.scope[BODY_KEY] = body  # for the Verbose request log
    return body


def _query(request: Request) -> dict[str, str]:
    """The query parameters as a plain dict (the last value of a repeated name, as Starlette's `query_params`),
    parsed once without building Starlette's multi-dict."""
    raw = request.scope["query_string"]
    return dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True)) if raw else {}


def _object_type(request: Request) -> str:
    resource = request.path_params["resource"]
    object_type = OBJECT_TYPES.get(resource) or CASELESS_OBJECT_TYPES.get(resource.lower())
    if object_type is None:
        if resource == ".search":  # RFC 7644 §3.4.3 search across resource types: not served, so 501 (§3.12)
            raise errors.NotSupported("/.search is not supported: search with GET /Users?filter=... or /Groups")
        raise errors.NotFound(f"no SCIM endpoint /{resource[:60]}; this host serves /Users and /Groups")
    return object_type


def _projected(request: Request, item: ConnectorRuntime, resource: dict[str, Any]) -> dict[str, Any]:
    """A written resource as its response shows it: `attributes`/`excludedAttributes` of the request applied
    (RFC 7644 §3.9), `returned: request` attributes left out unless asked for; no work without either."""
    returns = returns_of(item.service.mapping(_object_type(request)))
    raw = request.scope["query_string"]
    if not raw and not returns.request:
        return resource
    query = _query(request) if raw else {}
    return project(resource, names(query.get("attributes")), names(query.get("excludedAttributes")), returns)


async def list_resources(request: Request, item: ConnectorRuntime, base: str) -> Response:
    body = await item.service.search(_object_type(request), _query(request), base)
    return ScimResponse(body)


async def create_resource(request: Request, item: ConnectorRuntime, base: str) -> Response:
    body = await _body(request, item.config.limits.max_body_bytes)
    resource = await item.service.create(_object_type(request), body, base)
    headers = {"Location": resource["meta"]["location"], "ETag": resource["meta"]["version"]}
    return ScimResponse(_projected(request, item, resource), status_code=201, headers=headers)


async def get_resource(request: Request, item: ConnectorRuntime, base: str) -> Response:
    resource = await item.service.get(_object_type(request), request.path_params["id"], _query(request), base)
    version = resource["meta"].get("version")  # none for a group read without its members
    return ScimResponse(resource, headers={"ETag": version} if version else None)


async def replace_resource(request: Request, item: ConnectorRuntime, base: str) -> Response:
    body = await _body(request, item.config.limits.max_body_bytes)
    if_match = request.headers.get("if-match")
    resource = await item.service.replace(_object_type(request), request.path_params["id"], body, base, if_match)
    return ScimResponse(_projected(request, item, resource), headers={"ETag": resource["meta"]["version"]})


async def patch_resource(request: Request, item: ConnectorRuntime, base: str) -> Response:
    body = await _body(request, item.config.limits.max_body_bytes)
    if_match = request.headers.get("if-match")
    resource = await item.service.patch(_object_type(request), request.path_params["id"], body, base, if_match)
    if resource is None:
        return no_content()
    return ScimResponse(_projected(request, item, resource), headers={"ETag": resource["meta"]["version"]})


async def delete_resource(request: Request, item: ConnectorRuntime, base: str) -> Response:
    await item.service.delete(_object_type(request), request.path_params["id"], request.headers.get("if-match"), base)
    return no_content()


def _pick(documents: dict[str, dict[str, Any]], key: str | None, what: str) -> Response:
    if key is None:
        return ScimResponse(list_response(list(documents.values())))
    document = documents.get(key.lower())
    if document is None:
        raise errors.NotFound(f"{what} {key} not found; known: {', '.join(d['id'] for d in documents.values())}")
    return ScimResponse(document)


async def schemas(request: Request, item: ConnectorRuntime, base: str) -> Response:
    return _pick((await item.service.discovery(base))["schemas"], request.path_params.get("id"), "schema")


async def resource_types(request: Request, item: ConnectorRuntime, base: str) -> Response:
    return _pick((await item.service.discovery(base))["resource_types"], request.path_params.get("id"), "resource type")


async def openapi_description(request: Request, item: ConnectorRuntime, base: str) -> Response:
    return JSONResponse(item.service.openapi())


async def service_provider_config(request: Request, item: ConnectorRuntime, base: str) -> Response:
    return ScimResponse((await item.service.discovery(base))["spc"])


OPERATIONS: dict[Handler, str] = {
    list_resources: "search",
    create_resource: "create",
    get_resource: "get",
    replace_resource: "replace",
    patch_resource: "patch",
    delete_resource: "delete",
    schemas: "discovery",
    resource_types: "discovery",
    service_provider_config: "discovery",
}
"""Handler -> the `operation` label of the request log and metrics."""


def _verified_type(request: Request) -> str | None:
    """The object type a request reads or writes, for the target check; None for discovery."""
    return _object_type(request) if "resource" in request.path_params else None


def _cause(exc: BaseException) -> str:
    """What made a 5xx: the connector error behind it (`TargetUnavailable`, `TimeoutError`, ...)."""
    return type(exc.__cause__ or exc).__name__


def _logged_detail(exc: errors.ScimError) -> str:
    """A 5xx detail for the host log and `ecmahost status`: the client's, and what the target said (its driver's
    text, which the client never sees)."""
    reason = getattr(exc.__cause__, "reason", None)
    return f"{exc.detail} ({reason})" if reason else exc.detail


class RequestGuards:
    """What every SCIM request passes before its handler: the failed-token limit per client, the token of the
    connector, and the connector's concurrency limit."""

    def __init__(self, settings: HostSettings) -> None:
        limit = settings.auth_limit
        self.failed_auth = FailedAuthLimiter(limit.max_failures, limit.window_seconds)
        self.concurrency = ConcurrencyLimiter()

    def authenticate(self, request: Request, item: ConnectorRuntime) -> None:
        authenticate(request, item, self.failed_auth)


class ScimEndpoint:
    """Wraps one handler with connector look-up, authentication, error rendering and the request record."""

    def __init__(
        self, runtime: HostRuntime, handler: Handler, observer: RequestObserver, guards: RequestGuards
    ) -> None:
        self.runtime = runtime
        self.handler = handler
        self.observer = observer
        self.guards = guards
        self.operation = OPERATIONS.get(handler, handler.__name__)

    async def handle(self, request: Request) -> Response:
        request_id = os.urandom(16).hex()  # 32 hex digits, as uuid4().hex, without building a UUID
        started = time.perf_counter()
        name = request.path_params["connector"]
        item = self.runtime.connectors.get(name)
        known = None if item is None else name
        with request_context(known, request_id):
            response = await self._answer(request, item, name, request_id)
            query = request.scope["query_string"]
            path = request.scope["path"]
            self.observer.answered(
                method=request.method,
                target=f"{path}?{query.decode('latin-1')}" if query else path,
                connector=known,
                operation=self.operation,
                status=response.status_code,
                seconds=time.perf_counter() - started,
                request_id=request_id,
                request_body=request.scope.get(BODY_KEY),
                response_body=response.body,
                client=request.client.host if request.client else None,
            )
        return response

    def _unknown(self, name: str) -> errors.ScimError:
        """No connector of that name is served: 503 when its file exists but is invalid (a file being fixed is
        not a wrong URL), 404 otherwise. The file's problems go to the host's admin, not to a client whose
        token cannot be checked."""
        if name in self.runtime.errors:
            return errors.TargetUnavailable(
                f"connector {name!r} is not served: its connector file is invalid; `ecmahost status` on the host "
                "lists each problem and its fix",
                retry_after=60,
            )
        return errors.NotFound(f"no connector named {name!r} (names are case-sensitive)")

    async def _answer(self, request: Request, item: ConnectorRuntime | None, name: str, request_id: str) -> Response:
        try:
            if item is None:
                raise self._unknown(name)
            self.guards.authenticate(request, item)
            limits = item.config.limits
            async with self.guards.concurrency.slot(name, limits.max_concurrent_requests, limits.queue_timeout_seconds):
                try:
                    async with within(limits.request_timeout_seconds):
                        if not item.verification.clear:
                            await item.verification.admit(_verified_type(request))
                        response = await self.handler(request, item, _base_url(request, name))
                except TimeoutError:
                    raise errors.TargetUnavailable(
                        f"the request took longer than {limits.request_timeout_seconds:g} s "
                        "(limits.request_timeout_seconds); nothing was committed past that point",
                        retry_after=30,
                    ) from None
        except errors.ScimError as exc:
            if exc.status >= 500 and item is not None:
                detail = _logged_detail(exc)
                self.observer.failed(
                    connector=name, status=exc.status, kind=_cause(exc), detail=detail, request_id=request_id
                )
            return error_response(exc, request_id)
        except Exception as exc:
            logger.exception("request %s %s failed (request id %s)", request.method, request.url.path, request_id)
            detail = f"internal error ({type(exc).__name__}); the traceback is in the host log"
            self.observer.failed(connector=name, status=500, kind=_cause(exc), detail=detail, request_id=request_id)
            return error_response(errors.ScimError(f"internal error; request id {request_id}"), request_id)
        response.headers["X-Request-Id"] = request_id
        return response


class HostApp:
    """The host's ASGI app: SCIM requests go straight to their endpoint (`ScimRoutes`); everything else (lifespan,
    `/health`, `/metrics`, unknown paths) to the Starlette app."""

    def __init__(self, starlette: Starlette, routes: ScimRoutes) -> None:
        self.starlette = starlette
        self.routes = routes
        self.state = starlette.state
        self.router = starlette.router
        """Starlette's router, for its lifespan context (tests run the app's startup and shutdown with it)"""
        self.draining = False
        """set by the host's lame-duck drain before a stop (`ecmahost.drain`): `/health` answers 503 and every
        response closes its connection"""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if self.draining and scope["type"] == "http":
            if scope["path"] == "/health":
                await DRAINING_HEALTH(scope, receive, send)
                return
            send = closing(send)
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            resolved = self.routes.resolve(scope["method"], scope["path"])
            if resolved is not None:
                endpoint, params = resolved
                scope["path_params"] = params
                response = await endpoint(Request(scope, receive))
                await response(scope, receive, send)
                return
        await self.starlette(scope, receive, send)


async def not_found(request: Request, exc: Exception) -> Response:
    return error_response(errors.NotFound(f"no SCIM endpoint at {request.url.path[:200]}"))


def method_not_allowed(routes: ScimRoutes) -> Callable[[Request, Exception], Awaitable[Response]]:
    """Starlette's 405 (a method outside `routing.METHODS`, or a path of its own such as `/health`) as a SCIM
    error with the path's whole `Allow` (Starlette's names only the first route that matched the path)."""

    async def handler(request: Request, exc: Exception) -> Response:
        allow = routes.allow(request.url.path) or (getattr(exc, "headers", None) or {}).get("Allow", "GET")
        return refuse_method(request, allow)

    return handler


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


DRAINING_HEALTH = JSONResponse({"status": "draining"}, 503, {"Connection": "close", "Retry-After": "5"})
"""`/health` of a host about to stop: out of rotation at the balancer's next checks, for any method."""


def closing(send: Any) -> Any:
    """`send` with `Connection: close` added to the response's headers: the server closes the connection after
    it, and the client (or balancer) opens its next one to another host."""

    async def send_closing(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), (b"connection", b"close")]}
        await send(message)

    return send_closing


def metrics_endpoint(metrics: Metrics, token_hash: str | None) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        if token_hash is not None and not metrics_token_accepted(request, token_hash):
            headers = {"WWW-Authenticate": 'Bearer realm="ecmahost-metrics"'}
            return PlainTextResponse("send the metrics token as Authorization: Bearer <token>\n", 401, headers)
        return Response(metrics.render(), media_type=METRICS_CONTENT_TYPE)

    return endpoint


SCIM_ROUTES: tuple[ScimRoute[Handler], ...] = (
    ScimRoute("Schemas", "/Schemas", {"GET": schemas}),
    ScimRoute("Schemas/id", "/Schemas/{id:path}", {"GET": schemas}),
    ScimRoute("ResourceTypes", "/ResourceTypes", {"GET": resource_types}),
    ScimRoute("ResourceTypes/id", "/ResourceTypes/{id}", {"GET": resource_types}),
    ScimRoute("ServiceProviderConfig", "/ServiceProviderConfig", {"GET": service_provider_config}),
    ScimRoute("openapi.json", "/openapi.json", {"GET": openapi_description}),
    ScimRoute("list", "/{resource}", {"GET": list_resources, "POST": create_resource}),
    ScimRoute(
        "item",
        "/{resource}/{id}",
        {"GET": get_resource, "PUT": replace_resource, "PATCH": patch_resource, "DELETE": delete_resource},
    ),
)
"""Every SCIM endpoint under `/ecma2host_<Name>/scim`, in the order Starlette tries them (discovery first)."""

Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


def create_app(
    runtime: HostRuntime,
    settings: HostSettings,
    observer: RequestObserver,
    *,
    metrics: Metrics | None = None,
    lifespan: Lifespan | None = None,
) -> HostApp:
    """The host's app over `runtime`: `/metrics` served when `metrics` is given, `lifespan` run from startup to
    shutdown (`ecmahost.host.Host` builds all three)."""
    guards = RequestGuards(settings)
    scim, routes = scim_routes(SCIM_ROUTES, lambda handler: ScimEndpoint(runtime, handler, observer, guards).handle)
    starlette_routes = [Route("/health", health, methods=["GET"]), *scim]
    if metrics is not None:
        endpoint = metrics_endpoint(metrics, settings.metrics.token_hash)
        starlette_routes.append(Route("/metrics", endpoint, methods=["GET"]))
    app = Starlette(
        routes=starlette_routes,
        lifespan=lifespan,
        exception_handlers={404: not_found, 405: method_not_allowed(routes)},
    )
    return HostApp(app, routes)
