"""The agent's forwarder: one request envelope in, one reply envelope out, never an exception for a host problem.
(The host side is a small aiohttp server on loopback here; the e2e tests run the real host.)"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable

from aiohttp import web

from ecmahost.agent.forwarder import Forwarder
from ecmahost.relay import envelope

REQUEST = envelope.encode_request(
    envelope.HttpRequest("GET", "/ecma2host_demo/scim/Users?count=1", {"authorization": "Bearer t"}, b"", 5000)
)
Handler = Callable[[web.Request], Awaitable[web.Response]]


async def ok(request: web.Request) -> web.Response:
    return web.Response(status=200)


def send(
    handler: Handler = ok, max_reply: int = 1 << 20, payload: bytes = REQUEST, headers: dict[str, str] | None = None
) -> envelope.HttpReply:
    async def scenario() -> bytes:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        forwarder = Forwarder(f"http://127.0.0.1:{port}", None, max_reply)
        try:
            return await forwarder.send(payload, headers)
        finally:
            await forwarder.close()
            await runner.cleanup()

    return envelope.decode_reply(asyncio.run(scenario()))


def test_the_host_answer_passes_unchanged_and_the_request_carries_the_token() -> None:
    seen: list[web.Request] = []

    async def host(request: web.Request) -> web.Response:
        seen.append(request)
        return web.Response(status=200, headers={"content-type": "application/scim+json", "etag": 'W/"1"'}, body=b"{}")

    reply = send(host)
    assert (reply.status, reply.body, reply.headers["etag"]) == (200, b"{}", 'W/"1"')
    assert seen[0].path_qs == "/ecma2host_demo/scim/Users?count=1"
    assert seen[0].headers["authorization"] == "Bearer t"
    assert seen[0].headers["accept-encoding"] == "identity"
    assert not any(name.lower().startswith("ecmahost-") for name in seen[0].headers)
    assert "user-agent" not in {name.lower() for name in seen[0].headers}  # none made up; a client's travels


def test_the_request_body_and_method_reach_the_host() -> None:
    seen: list[tuple[str, bytes, str | None]] = []

    async def host(request: web.Request) -> web.Response:
        seen.append((request.method, await request.read(), request.headers.get("content-type")))
        return web.Response(status=201, body=b'{"id": "1"}')

    body = b'{"userName": "a"}'
    post = envelope.encode_request(envelope.HttpRequest("POST", "/ecma2host_demo/scim/Users", {}, body, 5000))
    reply = send(host, payload=post)
    assert (reply.status, reply.body) == (201, b'{"id": "1"}')
    assert seen == [("POST", b'{"userName": "a"}', None)]  # no content type the client did not send
    typed = {"content-type": "application/scim+json"}
    scim = envelope.encode_request(envelope.HttpRequest("POST", "/ecma2host_demo/scim/Users", typed, b"{}", 5000))
    send(host, payload=scim)
    assert seen[1][2] == "application/scim+json"


def test_an_unreachable_host_is_503_with_retry_after() -> None:
    async def scenario() -> bytes:
        with socket.socket() as closed:  # a port nothing listens on
            closed.bind(("127.0.0.1", 0))
            port = closed.getsockname()[1]
        forwarder = Forwarder(f"http://127.0.0.1:{port}", None, 1 << 20)
        try:
            return await forwarder.send(REQUEST)
        finally:
            await forwarder.close()

    reply = envelope.decode_reply(asyncio.run(scenario()))
    assert reply.status == 503
    assert reply.headers["retry-after"]
    assert "cannot reach its host" in json.loads(reply.body)["detail"]


def test_a_host_that_takes_longer_than_the_budget_is_504() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.Response(status=200)

    quick = envelope.encode_request(envelope.HttpRequest("GET", "/ecma2host_demo/scim/Users", {}, b"", 200))
    assert send(slow, payload=quick).status == 504


def test_an_answer_too_large_for_nats_is_502_naming_its_size() -> None:
    async def large(request: web.Request) -> web.Response:
        return web.Response(status=200, body=b"x" * 5000)

    reply = send(large, max_reply=4096)
    assert reply.status == 502
    assert "5000 bytes" in json.loads(reply.body)["detail"]


def test_a_malformed_request_envelope_is_400() -> None:
    assert send(payload=b"ECMAHOST/2 3\nGET").status == 400
    assert send(payload=b"not an envelope").status == 400


def test_a_request_from_a_relay_of_the_older_envelope_is_400_saying_so() -> None:
    reply = send(payload=b"", headers={"Ecmahost-Method": "GET", "Ecmahost-Path": "/ecma2host_demo/scim/Users"})
    assert reply.status == 400
    assert "older ecmahost" in json.loads(reply.body)["detail"]


def test_the_client_address_from_the_relay_reaches_the_host_as_x_forwarded_for() -> None:
    seen: list[web.Request] = []

    async def host(request: web.Request) -> web.Response:
        seen.append(request)
        return web.Response(status=200)

    client = envelope.HttpRequest("GET", "/ecma2host_demo/scim/Users", {}, b"", 5000, "192.0.2.7")
    assert send(host, payload=envelope.encode_request(client)).status == 200
    assert send(host).status == 200  # from a relay that sends no address: none is made up
    assert seen[0].headers.getall("x-forwarded-for") == ["192.0.2.7"]
    assert "x-forwarded-for" not in seen[1].headers
