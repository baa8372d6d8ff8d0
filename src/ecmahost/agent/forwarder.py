"""Hand one request envelope to the host and turn the answer into a reply envelope: over HTTPS to a host URL
(`agent run`), or straight into the host's ASGI app in this process (`in_process`, for `ecmahost serve --agent`:
no second HTTP hop, no socket, no TLS; the app still checks the token, as for direct traffic).
"""

from __future__ import annotations

import json
import logging
import ssl

import httpx

from ecmahost.relay import envelope

IN_PROCESS_URL = "https://in-process.ecmahost"
"""The base URL of requests handed to the app in process (no connection is made to it)."""

log = logging.getLogger(__name__)

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def error_reply(status: int, detail: str, retry_after: str | None = None) -> tuple[dict[str, str], bytes]:
    headers = [("content-type", "application/scim+json")] + ([("retry-after", retry_after)] if retry_after else [])
    body = json.dumps({"schemas": [ERROR], "status": str(status), "detail": detail}).encode()
    return envelope.encode_reply(status, headers), body


class Forwarder:
    """One pooled HTTPS client to the host, shared by every request of the agent."""

    def __init__(
        self, host_url: str, host_ca: str | None, max_reply: int, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=host_ca) if host_ca else True
        self.host_url = host_url.rstrip("/")
        self.target = self.host_url
        """what the agent's log names as where requests go"""
        self.max_reply = max_reply
        # trust_env off: https_proxy is for reaching NATS, the host is on this network
        self.client = httpx.AsyncClient(
            verify=verify, limits=httpx.Limits(max_connections=64), trust_env=False, transport=transport
        )

    async def send(self, headers: dict[str, str] | None, body: bytes) -> tuple[dict[str, str], bytes]:
        """The reply envelope (headers, body) for one request envelope; never raises for a host problem."""
        try:
            request = envelope.decode_request(headers, body)
        except envelope.EnvelopeError as exc:
            return error_reply(400, f"the relay sent a malformed request: {exc}")
        try:
            answer = await self.client.request(
                request.method,
                self.host_url + request.path,
                headers={**request.headers, "accept-encoding": "identity"},
                content=request.body,
                timeout=request.budget_ms / 1000,
            )
        except httpx.TimeoutException:
            return error_reply(504, "the host did not answer the agent in time")
        except httpx.HTTPError as exc:
            log.warning("cannot reach the host at %s: %s", self.host_url, type(exc).__name__)
            return error_reply(503, "the agent cannot reach its host; check `ecmahost agent test`", "5")
        if len(answer.content) > self.max_reply:
            detail = f"the host's answer ({len(answer.content)} bytes) exceeds what NATS carries; ask for fewer (count)"
            return error_reply(502, detail)
        return envelope.encode_reply(answer.status_code, answer.headers.multi_items()), answer.content

    async def close(self) -> None:
        await self.client.aclose()


def in_process(app: object, max_reply: int) -> Forwarder:
    """A forwarder calling `app` (the host's ASGI app, whose lifespan is already running) through
    `httpx.ASGITransport`: the same envelope handling as over HTTPS, without the network. An exception escaping
    the app becomes a 500 answer, as a server would make it. The request is not cut at the relay's budget: the
    connector's own time budget bounds it, and a late answer is dropped by the relay (which has said 504)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    forwarder = Forwarder(IN_PROCESS_URL, None, max_reply, transport=transport)
    forwarder.target = "the host in this process"
    return forwarder
