"""The agent's forwarder: one request envelope in, one reply envelope out, never an exception for a host problem.
(The host side is httpx's MockTransport here; the e2e tests run the real host.)"""

from __future__ import annotations

import asyncio
import json

import httpx

from ecmahost.agent.forwarder import Forwarder
from ecmahost.relay import envelope

REQUEST = envelope.encode_request(
    envelope.HttpRequest("GET", "/ecma2host_demo/scim/Users?count=1", {"authorization": "Bearer t"}, b"", 5000)
)


def send(handler: object, max_reply: int = 1 << 20, headers: dict[str, str] | None = REQUEST) -> envelope.HttpReply:
    async def scenario() -> tuple[dict[str, str], bytes]:
        forwarder = Forwarder("https://host:8585", None, max_reply, httpx.MockTransport(handler))  # type: ignore[arg-type]
        try:
            return await forwarder.send(headers, b"")
        finally:
            await forwarder.close()

    return envelope.decode_reply(*asyncio.run(scenario()))


def test_the_host_answer_passes_unchanged_and_the_request_carries_the_token() -> None:
    seen: list[httpx.Request] = []

    def host(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"content-type": "application/scim+json", "etag": 'W/"1"'}, content=b"{}")

    reply = send(host)
    assert (reply.status, reply.body, reply.headers["etag"]) == (200, b"{}", 'W/"1"')
    assert str(seen[0].url) == "https://host:8585/ecma2host_demo/scim/Users?count=1"
    assert seen[0].headers["authorization"] == "Bearer t"
    assert seen[0].headers["accept-encoding"] == "identity"
    assert not any(name.lower().startswith("ecmahost-") for name in seen[0].headers)


def test_an_unreachable_host_is_503_with_retry_after() -> None:
    def host(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    reply = send(host)
    assert reply.status == 503
    assert reply.headers["retry-after"]
    assert "cannot reach its host" in json.loads(reply.body)["detail"]


def test_a_host_that_times_out_is_504() -> None:
    def host(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    assert send(host).status == 504


def test_an_answer_too_large_for_nats_is_502_naming_its_size() -> None:
    reply = send(lambda request: httpx.Response(200, content=b"x" * 5000), max_reply=4096)
    assert reply.status == 502
    assert "5000 bytes" in json.loads(reply.body)["detail"]


def test_a_malformed_request_envelope_is_400() -> None:
    assert send(lambda request: httpx.Response(200), headers={"Ecmahost-Method": "GET"}).status == 400


def test_the_client_address_from_the_relay_reaches_the_host_as_x_forwarded_for() -> None:
    seen: list[httpx.Request] = []

    def host(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    client = envelope.HttpRequest("GET", "/ecma2host_demo/scim/Users", {}, b"", 5000, "192.0.2.7")
    assert send(host, headers=envelope.encode_request(client)).status == 200
    assert send(host).status == 200  # from a relay that sends no address: none is made up
    assert seen[0].headers.get_list("x-forwarded-for") == ["192.0.2.7"]
    assert "x-forwarded-for" not in seen[1].headers
