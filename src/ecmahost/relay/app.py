"""The relay's HTTP side: `/sites/<site>/ecma2host_<Name>/scim/...` becomes one NATS request to the site's agents.

Failure mapping (docs/agent.md): no agent subscribed -> 503 + Retry-After at once; the budget spent -> 504; a body
over the maximum -> 413; a reply that is not an envelope -> 502; NATS unreachable -> 503 + Retry-After. Every one is
a SCIM Error body. The answer of the host (status, headers, body) is passed through unchanged otherwise. It does
not check the connector token: Authorization travels to the host.

The client's address travels in the envelope's client line: the TCP peer, or, when `relay init --trusted-proxy`
names the peer, the first untrusted address of its `X-Forwarded-For` (uvicorn's proxy-headers middleware resolves
it before this app sees the request; `relay serve` trusts no proxy unless told).
"""

from __future__ import annotations

import contextlib
import json
import logging
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import nats.errors
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, compile_path
from starlette.types import Receive, Scope, Send

from ecmahost import errors
from ecmahost.http.responses import error_response
from ecmahost.http.routing import METHODS
from ecmahost.relay import envelope
from ecmahost.relay.metrics import CONTENT_TYPE, RelayMetrics
from ecmahost.relay.registry import RegistryError, RelayHome
from ecmahost.watch import Stamp, stamp

log = logging.getLogger(__name__)

HEADER_ROOM = 8192  # room kept for the envelope's headers within the server's max_payload
RETRY_AFTER = 5
RELAYED_METHODS = frozenset(METHODS)
"""The methods relayed to the host: those a SCIM endpoint of the host answers (with its handler or 405)."""
RELAYED_ROUTE = "/sites/{site}/ecma2host_{connector}/scim{rest:path}"
RELAYED_PATH = compile_path(RELAYED_ROUTE)[0]
"""The relay's one busy route, compiled once by Starlette's own `compile_path` from the path its route table
declares, so the fast match in `RelayApp` and Starlette's routing cannot disagree."""


@dataclass
class RelaySettings:
    home: Path
    nats_urls: list[str]
    nats_ca: Path | None = None
    budget_seconds: float = 30.0
    max_body: int = 1024 * 1024
    nats_pid_file: Path | None = None
    agent_nats_urls: list[str] = field(default_factory=list)
    """the NATS URLs agents dial (told at registration); default: nats_urls"""


@dataclass
class RelayState:
    settings: RelaySettings
    home: RelayHome
    metrics: RelayMetrics = field(default_factory=RelayMetrics)
    nc: Any = None
    max_body: int = 0
    sites: frozenset[str] = frozenset()
    sites_changed: Stamp | None = None
    seen: dict[str, Any] = field(default_factory=dict)
    seen_written: float = 0.0

    def known_site(self, site: str) -> bool:
        """A registered site; `relay site add` on the same home is seen at the next request (a miss stats the
        sites file and re-reads it when it changed)."""
        if site in self.sites:
            return True
        changed = stamp(self.home.sites_file)
        if changed is None:
            return False
        if changed != self.sites_changed:
            self.sites, self.sites_changed = frozenset(self.home.sites()), changed
        return site in self.sites


class Refusal(Exception):
    """A request the relay answers itself: the SCIM error, and its cause as the metrics label."""

    def __init__(self, error: errors.ScimError, cause: str | None = None) -> None:
        super().__init__(error.detail)
        self.error, self.cause = error, cause


def nats_tls(ca: Path | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca)) if ca else ssl.create_default_context()


async def relay_request(
    state: RelayState, scope: Scope, receive: Receive, send: Send, site: str, connector: str
) -> None:
    """A SCIM request to relay, on plain ASGI: Starlette's routing, `Request` and `Response` machinery cost about 80
    Python calls per request here, for a route whose every part is read once (docs/performance.md)."""
    started = time.perf_counter()
    status, error = await _answer(state, scope, receive, send, site, connector)
    label = site if state.known_site(site) else "-"
    state.metrics.record(label, status, time.perf_counter() - started, error)


async def _answer(
    state: RelayState, scope: Scope, receive: Receive, send: Send, site: str, connector: str
) -> tuple[int, str | None]:
    """Answers the request; returns the status sent and the relay's own error label."""
    try:
        if not (state.known_site(site) and envelope.valid_token(connector)):
            raise Refusal(errors.NotFound(f"no site {site!r} with connector {connector!r} at this relay"))
        body = await _read_body(scope["headers"], receive, state.max_body)
        if body is None:
            detail = f"the request body exceeds this relay's maximum of {state.max_body} bytes"
            raise Refusal(errors.PayloadTooLarge(detail), "too_large")
        path = scope["path"].removeprefix(f"/sites/{site}")
        if scope["query_string"]:
            path = f"{path}?{scope['query_string'].decode()}"
        headers = envelope.forwarded_raw_headers(scope["headers"])
        client = envelope.client_address(scope["client"][0] if scope.get("client") else None)
        reply = await _ask(state, site, connector, scope["method"], path, headers, body, client)
    except Refusal as refusal:
        await error_response(refusal.error)(scope, receive, send)
        return refusal.error.status, refusal.cause
    raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in reply.headers.items()]
    if not (reply.status < 200 or reply.status in (204, 304)):  # as Starlette's Response, which this replaced
        raw.append((b"content-length", b"%d" % len(reply.body)))
    await send({"type": "http.response.start", "status": reply.status, "headers": raw})
    await send({"type": "http.response.body", "body": reply.body})
    return reply.status, None


async def _ask(
    state: RelayState,
    site: str,
    connector: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    client: str | None = None,
) -> envelope.HttpReply:
    """One NATS request to the site's agents within the relay's budget; every way it can fail is a `Refusal`."""
    nc = state.nc
    if nc is None or not nc.is_connected:
        raise Refusal(
            errors.TargetUnavailable("the relay is not connected to NATS", retry_after=RETRY_AFTER), "nats_down"
        )
    budget = state.settings.budget_seconds
    outgoing = envelope.HttpRequest(method, path, headers, body, int(budget * 1000), client)
    try:
        payload = envelope.encode_request(outgoing)
    except envelope.EnvelopeError as exc:
        raise Refusal(errors.InvalidSyntax(f"the request cannot be relayed: {exc}"), "bad_request") from None
    subject = envelope.request_subject(site, connector)
    try:
        message = await nc.request(subject, payload, timeout=budget)
        return envelope.decode_reply(message.data, message.headers)
    except nats.errors.NoRespondersError:
        detail = f"no agent of site {site!r} is connected; start or check `ecmahost agent` on-premises"
        raise Refusal(errors.TargetUnavailable(detail, retry_after=RETRY_AFTER), "no_responders") from None
    except nats.errors.TimeoutError:
        raise Refusal(errors.GatewayTimeout(f"no answer from site {site!r} within {budget:g} s"), "timeout") from None
    except (
        nats.errors.ConnectionClosedError,
        nats.errors.ConnectionReconnectingError,
        nats.errors.StaleConnectionError,
    ):
        lost = errors.TargetUnavailable("the relay lost its NATS connection", retry_after=RETRY_AFTER)
        raise Refusal(lost, "nats_down") from None
    except envelope.EnvelopeError as exc:
        log.warning("site %s: a malformed reply (%s)", site, exc)
        raise Refusal(errors.BadGateway(f"the agent of site {site!r} sent a malformed reply"), "bad_reply") from None


async def _read_body(headers: list[tuple[bytes, bytes]], receive: Receive, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to exceed `limit` (Content-Length, or while streaming); a `Refusal`
    when the client leaves before its end."""
    for name, value in headers:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            return None
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # never relay part of a body; the answer goes nowhere
            raise Refusal(errors.InvalidSyntax("the client left before the end of its body"), "client_gone")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def ping(request: Request) -> Response:
    """A round trip to one of the site's hosts (its `/health`) through NATS and an agent, for `agent test`."""
    state: RelayState = request.app.state.relay
    site = request.path_params["site"]
    try:
        if not state.known_site(site):
            raise Refusal(errors.NotFound(f"no site {site!r} at this relay"))
        reply = await _ask(state, site, "_ping", "GET", "/health", {}, b"")
    except Refusal as refusal:
        return error_response(refusal.error)
    return Response(reply.body, reply.status, headers=reply.headers)


async def health(request: Request) -> Response:
    state: RelayState = request.app.state.relay
    connected = bool(state.nc and state.nc.is_connected)
    return JSONResponse({"status": "ok" if connected else "nats-down"}, 200 if connected else 503)


async def metrics(request: Request) -> Response:
    state: RelayState = request.app.state.relay
    return Response(state.metrics.render(), media_type=CONTENT_TYPE)


async def register(request: Request) -> Response:
    """POST {"code", "public_key"}: the code's site gets a new agent with this public key (no secret travels)."""
    state: RelayState = request.app.state.relay
    try:
        data = json.loads(await request.body())
        code, key = str(data["code"]), str(data["public_key"])
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"detail": 'send {"code": ..., "public_key": ...}'}, 400)
    try:
        site = state.home.redeem(code)
        state.home.add_agent(site, key)
    except RegistryError as exc:
        return JSONResponse({"detail": str(exc)}, 403)
    log.info("site %s: agent %s registered", site, key[:12])
    urls = state.settings.agent_nats_urls or state.settings.nats_urls
    return JSONResponse({"site": site, "nats_urls": urls}, 201)


def _on_heartbeat(state: RelayState) -> Callable[[Any], Awaitable[None]]:
    """Keep the latest heartbeat of each agent. The site comes from the subject (which NATS permissions tie to
    the sender); a beat naming an agent that is not registered for that site is ignored, so no agent can pose as
    another."""

    async def handle(message: Any) -> None:
        try:
            beat = json.loads(message.data)
            site, agent = message.subject.rsplit(".", 1)[1], str(beat["id"])
        except (ValueError, KeyError, TypeError):
            return
        if not isinstance(beat, dict) or state.home.agents().get(agent, {}).get("site") != site:
            return
        state.seen[agent] = {**beat, "site": site, "received_at": time.time()}
        if time.monotonic() - state.seen_written > 1.0:
            state.seen_written = time.monotonic()
            state.home.write_seen(state.seen)

    return handle


@contextlib.asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    state: RelayState = app.state.relay
    state.home.init()
    state.nc = await nats.connect(
        servers=state.settings.nats_urls,
        tls=nats_tls(state.settings.nats_ca),
        nkeys_seed_str=state.home.seed().decode(),
        name="ecmahost-relay",
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
    )
    state.max_body = min(state.settings.max_body, state.nc.max_payload - HEADER_ROOM)
    await state.nc.subscribe("ecmahost.hb.>", cb=_on_heartbeat(state))
    log.info("relay connected to NATS; max body %d bytes", state.max_body)
    try:
        yield
    finally:
        await state.nc.close()


class RelayApp:
    """The relay's ASGI app. A SCIM request to relay (`RELAYED_METHODS` on `RELAYED_PATH`) goes straight to
    `relay_request`; everything else (health, metrics, registration, ping, HEAD and the 404/405 of other paths and
    methods, the lifespan) goes through Starlette, whose route table also names the relayed route, so what
    Starlette would answer is unchanged."""

    def __init__(self, settings: RelaySettings) -> None:
        self.state = RelayState(settings, RelayHome(settings.home, settings.nats_pid_file))
        routes = [
            Route("/health", health),
            Route("/metrics", metrics),
            Route("/register", register, methods=["POST"]),
            Route("/sites/{site}/_ping", ping),
            Route(RELAYED_ROUTE, _Relayed(self.state), methods=[*RELAYED_METHODS]),
        ]
        self.starlette = Starlette(routes=routes, lifespan=_lifespan)
        self.starlette.state.relay = self.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in RELAYED_METHODS:
            match = RELAYED_PATH.match(scope["path"])
            if match is not None:
                await relay_request(self.state, scope, receive, send, match["site"], match["connector"])
                return
        await self.starlette(scope, receive, send)


class _Relayed:
    """The relayed route as Starlette routes it (HEAD, which Starlette adds to GET)."""

    def __init__(self, state: RelayState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        site, connector = scope["path_params"]["site"], scope["path_params"]["connector"]
        await relay_request(self.state, scope, receive, send, site, connector)


def create_relay_app(settings: RelaySettings) -> RelayApp:
    return RelayApp(settings)
