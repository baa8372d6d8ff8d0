"""The agent's proxy choice and CONNECT handshake (against a real loopback listener playing the proxy)."""

from __future__ import annotations

import asyncio

import pytest

from ecmahost.agent.proxy import ProxyError, open_via_proxy, proxy_for


def test_the_agent_setting_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("https_proxy", "http://env-proxy:3128")
    assert proxy_for("nats.example.org", "http://configured:8080") == "http://configured:8080"
    assert proxy_for("nats.example.org", None) == "http://env-proxy:3128"


def test_no_proxy_bypasses_the_environment_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("https_proxy", "http://env-proxy:3128")
    monkeypatch.setenv("no_proxy", "example.org")
    assert proxy_for("nats.example.org", None) is None


async def _fake_proxy(answer: bytes, seen: list[bytes]) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(answer)
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def test_connect_sends_basic_credentials_and_accepts_200() -> None:
    async def scenario() -> bytes:
        seen: list[bytes] = []
        server = await _fake_proxy(b"HTTP/1.1 200 Connection established\r\nX: y\r\n\r\n", seen)
        port = server.sockets[0].getsockname()[1]
        _, writer = await open_via_proxy(f"http://user:p%40ss@127.0.0.1:{port}", "nats.example.org", 4222)
        writer.close()
        server.close()
        return seen[0]

    request = asyncio.run(scenario())
    assert request.startswith(b"CONNECT nats.example.org:4222 HTTP/1.1\r\n")
    assert b"Proxy-Authorization: Basic dXNlcjpwQHNz\r\n" in request


def test_a_refused_connect_names_the_proxy_answer() -> None:
    async def scenario() -> None:
        server = await _fake_proxy(b"HTTP/1.1 403 Access violation\r\n\r\n", [])
        port = server.sockets[0].getsockname()[1]
        try:
            await open_via_proxy(f"http://127.0.0.1:{port}", "nats.example.org", 4222)
        finally:
            server.close()

    with pytest.raises(ProxyError, match="403 Access violation"):
        asyncio.run(scenario())
