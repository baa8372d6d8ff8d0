"""The in-process forwarder of `serve --agent`: the envelope goes straight into an ASGI app as one HTTP scope,
the answer comes back unchanged (streamed or not), and an exception escaping the app is a 500 reply, never a lost
request. (The e2e tests run the host.)"""

from __future__ import annotations

import asyncio
from typing import Any

from ecmahost.agent.forwarder import IN_PROCESS_CLIENT, in_process
from ecmahost.relay import envelope

REQUEST = envelope.encode_request(
    envelope.HttpRequest("POST", "/ecma2host_demo/scim/Users?x=1", {"authorization": "Bearer t"}, b"{}", 5000)
)


def send(app: Any) -> envelope.HttpReply:
    async def scenario() -> bytes:
        forwarder = in_process(app, 1 << 20)
        try:
            return await forwarder.send(REQUEST)
        finally:
            await forwarder.close()

    return envelope.decode_reply(asyncio.run(scenario()))


def test_the_app_sees_the_request_and_its_answer_passes_unchanged() -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append({**scope, "body": (await receive())["body"]})
        headers = [(b"content-type", b"application/scim+json"), (b"etag", b'W/"1"')]
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"id":"1"}'})

    reply = send(app)
    assert (reply.status, reply.body, reply.headers["etag"]) == (201, b'{"id":"1"}', 'W/"1"')
    scope = seen[0]
    assert (scope["method"], scope["path"], scope["query_string"], scope["body"]) == (
        "POST", "/ecma2host_demo/scim/Users", b"x=1", b"{}"
    )  # fmt: skip
    assert (b"authorization", b"Bearer t") in scope["headers"]


def test_an_exception_escaping_the_app_is_a_500_reply() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    assert send(app).status == 500


def test_a_streamed_answer_is_collected_whole() -> None:
    from starlette.responses import StreamingResponse

    async def chunks() -> Any:
        for part in (b'{"a":', b"1}"):
            yield part

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await StreamingResponse(chunks(), media_type="application/scim+json")(scope, receive, send)

    reply = send(app)
    assert (reply.status, reply.body) == (200, b'{"a":1}')


def test_the_app_sees_the_client_address_the_relay_sent_not_the_agents() -> None:
    seen: list[Any] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["client"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def scenario(payload: bytes) -> None:
        await in_process(app, 1 << 20).send(payload)

    request = envelope.HttpRequest("GET", "/ecma2host_demo/scim/Users", {}, b"", 5000, "2001:db8::7")
    asyncio.run(scenario(envelope.encode_request(request)))
    asyncio.run(scenario(REQUEST))  # a relay that sends no address
    assert seen == [("2001:db8::7", 0), IN_PROCESS_CLIENT]
