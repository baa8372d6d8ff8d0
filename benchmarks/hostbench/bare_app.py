"""The physical limit of the ASGI server on this machine: an app that answers every request with a fixed SCIM
ListResponse body, with no routing, no auth and no I/O. Served by the same uvicorn/TLS command as the host."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

BODY = (
    b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,'
    b'"Resources":[],"startIndex":1,"itemsPerPage":0}'
)
HEADERS = [(b"content-type", b"application/scim+json"), (b"content-length", str(len(BODY)).encode())]


async def _drain(receive: Callable[[], Awaitable[dict[str, Any]]]) -> None:
    while (await receive()).get("more_body"):
        pass


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await receive()  # lifespan.startup
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})
        return
    await _drain(receive)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
