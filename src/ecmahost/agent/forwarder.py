"""Hand one request envelope to the host and turn the answer into a reply envelope: over HTTPS to a host URL
(`agent run`), or straight into the host's ASGI app in this process (`in_process`, for `ecmahost serve --agent`:
no second HTTP hop, no socket, no TLS; the app still checks the token, as for direct traffic).

The host must see the SCIM client's address (its failed-token throttle, its log and activity journal), not the
agent's: the envelope's client line becomes the ASGI scope's `client` in process, and `X-Forwarded-For` over
HTTPS, which the host believes only from its `trusted_proxies` (host.yaml; loopback by default).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any, Protocol
from urllib.parse import unquote

import aiohttp
import certifi
import orjson

from ecmahost import errors
from ecmahost.relay import envelope

IN_PROCESS_HOST = b"in-process.ecmahost"
"""The `Host` of requests handed to the app in process (no connection is made to it)."""
IN_PROCESS_SERVER = ("in-process.ecmahost", 443)
IN_PROCESS_CLIENT = ("127.0.0.1", 0)
"""The client address the host sees in process when the relay sent none (it saw no IP address)."""

log = logging.getLogger(__name__)

RETRY_AFTER = 5


class Sender(Protocol):
    """What the agent's runner needs of a forwarder (`Forwarder` over HTTPS, `AppForwarder` in process)."""

    target: str

    async def send(self, payload: bytes, headers: dict[str, str] | None = None) -> bytes: ...

    async def close(self) -> None: ...


def error_reply(error: errors.ScimError) -> bytes:
    """A reply envelope the agent answers itself: the SCIM Error body the host would give, with Retry-After."""
    headers = [("content-type", "application/scim+json")]
    if error.retry_after is not None:
        headers.append(("retry-after", str(error.retry_after)))
    return envelope.encode_reply(error.status, headers, orjson.dumps(error.to_body()))


def decoded(payload: bytes, headers: dict[str, str] | None) -> envelope.HttpRequest | bytes:
    """The request of an envelope, or the 400 reply for one the relay should never have sent."""
    try:
        return envelope.decode_request(payload, headers)
    except envelope.EnvelopeError as exc:
        return error_reply(errors.InvalidSyntax(f"the relay sent a malformed request: {exc}"))


def host_reply(status: int, pairs: list[tuple[str, str]], content: bytes, max_reply: int) -> bytes:
    """The host's answer as a reply envelope, or 502 when it is larger than NATS carries."""
    if len(content) > max_reply:
        detail = f"the host's answer ({len(content)} bytes) exceeds what NATS carries; ask for fewer (count)"
        return error_reply(errors.BadGateway(detail))
    return envelope.encode_reply(status, pairs, content)


class Forwarder:
    """One aiohttp session (a pool of HTTPS connections to the host), shared by every request of the agent.

    aiohttp rather than httpx here: its HTTP parser is C and its TLS is the event loop's (uvloop's, in C), where
    httpx goes through h11 and anyio's TLS in Python. The same 1,000 GET filters to a host cost the client
    223-265 us of CPU each with aiohttp and 630-762 us with httpx's transport, and the agent is the relay path's
    largest share of CPU per request. The session must be made in the running loop (`Agent.serve` does)."""

    def __init__(self, host_url: str, host_ca: str | None, max_reply: int) -> None:
        # the CA bundle httpx used (certifi) unless the host has its own CA: no change for a host's certificate
        context = ssl.create_default_context(cafile=host_ca or certifi.where())
        self.host_url = host_url.rstrip("/")
        self.target = self.host_url
        """what the agent's log names as where requests go"""
        self.max_reply = max_reply
        # trust_env off (aiohttp's default): https_proxy is for reaching NATS, the host is on this network
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=context, limit=64),
            auto_decompress=False,
            skip_auto_headers=("User-Agent", "Content-Type"),  # the SCIM client's own travel in the envelope
        )

    async def send(self, payload: bytes, headers: dict[str, str] | None = None) -> bytes:
        """The reply envelope for one request envelope (`headers`: the message's NATS headers, which only an older
        relay sends); never raises for a host problem."""
        request = decoded(payload, headers)
        if not isinstance(request, envelope.HttpRequest):
            return request
        try:
            async with self.session.request(
                request.method,
                self.host_url + request.path,
                headers=_host_headers(request),
                data=request.body or None,
                timeout=aiohttp.ClientTimeout(total=request.budget_ms / 1000),
            ) as answer:
                content = await answer.read()
        except TimeoutError:
            return error_reply(errors.GatewayTimeout("the host did not answer the agent in time"))
        except aiohttp.ClientError as exc:
            log.warning("cannot reach the host at %s: %s", self.host_url, type(exc).__name__)
            detail = "the agent cannot reach its host; check `ecmahost agent test`"
            return error_reply(errors.TargetUnavailable(detail, retry_after=RETRY_AFTER))
        pairs = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in answer.raw_headers]
        return host_reply(answer.status, pairs, content, self.max_reply)

    async def close(self) -> None:
        await self.session.close()


def _host_headers(request: envelope.HttpRequest) -> dict[str, str]:
    """The headers of the request to the host: the forwarded ones (never an `X-Forwarded-For` of the client's:
    the envelope does not carry it) and the client's address as the relay saw it."""
    headers = {**request.headers, "accept-encoding": "identity"}
    if request.client is not None:
        headers["x-forwarded-for"] = request.client
    return headers


def in_process(app: Any, max_reply: int) -> AppForwarder:
    """The forwarder of `serve --agent`: straight into `app` (the host's ASGI app, its lifespan running)."""
    return AppForwarder(app, max_reply)


class AppForwarder:
    """Hands each request envelope to an ASGI app in this process, as one HTTP request scope: the same envelope
    handling as `Forwarder`, without the network or an HTTP client (httpx's ASGITransport cost about 0.35 ms a
    request here, more than the work it carried). An exception escaping the app becomes a 500 answer, as a server
    would make it. The request is not cut at the relay's budget: the connector's own time budget bounds it, and a
    late answer is dropped by the relay (which has said 504)."""

    target = "the host in this process"

    def __init__(self, app: Any, max_reply: int) -> None:
        self.app = app
        self.max_reply = max_reply

    async def send(self, payload: bytes, headers: dict[str, str] | None = None) -> bytes:
        """The reply envelope for one request envelope (`headers`: the message's NATS headers, which only an older
        relay sends); never raises for a host problem."""
        request = decoded(payload, headers)
        if not isinstance(request, envelope.HttpRequest):
            return request
        answer = _Answer()
        try:
            await self.app(_scope(request), _Receive(request.body, answer.done), answer.send)
        except Exception:  # a server answers 500 for what escapes the app; the request must not go unanswered
            log.exception("the host's app failed on %s %s", request.method, request.path.partition("?")[0])
            if not answer.started:
                return error_reply(errors.ScimError("the host failed to answer; see its log"))
        finally:
            answer.done.set()
        pairs = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in answer.headers]
        return host_reply(answer.status, pairs, b"".join(answer.body), self.max_reply)

    async def close(self) -> None:
        return None


def _scope(request: envelope.HttpRequest) -> dict[str, Any]:
    path, _, query = request.path.partition("?")
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in request.headers.items()]
    headers.append((b"host", IN_PROCESS_HOST))
    if request.body:
        headers.append((b"content-length", str(len(request.body)).encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "https",
        "path": unquote(path),
        "raw_path": path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "root_path": "",
        "headers": headers,
        "client": (request.client, 0) if request.client is not None else IN_PROCESS_CLIENT,
        "server": IN_PROCESS_SERVER,
        "state": {},
    }


class _Receive:
    """The request body in one message, then `http.disconnect` once the answer is complete (as a server says
    when the client is gone: never earlier, or a streaming answer would stop)."""

    def __init__(self, body: bytes, done: asyncio.Event) -> None:
        self.body: bytes | None = body
        self.done = done

    async def __call__(self) -> dict[str, Any]:
        if self.body is not None:
            body, self.body = self.body, None
            return {"type": "http.request", "body": body, "more_body": False}
        await self.done.wait()
        return {"type": "http.disconnect"}


class _Answer:
    def __init__(self) -> None:
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.started = False
        self.done = asyncio.Event()

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            self.status = message["status"]
            self.headers = list(message.get("headers", ()))
        elif message["type"] == "http.response.body":
            self.body.append(message.get("body", b""))
