"""Which peers the host believes about the client's address: uvicorn's proxy-headers middleware as `server`
configures it from `trusted_proxies`, driven with one ASGI scope (no socket)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ecmahost.server import ServeOptions, uvicorn_config
from ecmahost.settings import LOOPBACK

OPTIONS = ServeOptions(port=8585, bind="127.0.0.1", insecure_http=True)


def client_seen(trusted: tuple[str, ...], peer: str, forwarded_for: str) -> str:
    """The client address the app sees for a request from `peer` carrying `X-Forwarded-For: forwarded_for`."""
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["client"][0])

    config = uvicorn_config(app, OPTIONS, None, trusted)
    config.load()
    scope = {"type": "http", "client": (peer, 50000), "headers": [(b"x-forwarded-for", forwarded_for.encode())]}
    asyncio.run(config.loaded_app(scope, None, None))
    return seen[0]


@pytest.mark.parametrize("peer", ["127.0.0.1", "::1"])
def test_by_default_a_forwarding_agent_on_loopback_names_the_client(peer: str) -> None:
    assert client_seen(LOOPBACK, peer, "192.0.2.7") == "192.0.2.7"


def test_any_other_peer_is_the_client_whatever_x_forwarded_for_says() -> None:
    assert client_seen(LOOPBACK, "192.0.2.50", "10.9.9.9") == "192.0.2.50"


def test_without_trusted_proxies_no_peer_is_believed() -> None:
    assert client_seen((), "127.0.0.1", "192.0.2.7") == "127.0.0.1"


def test_a_trusted_network_names_the_first_untrusted_address_from_the_right() -> None:
    assert client_seen(("10.0.0.0/8",), "10.1.1.1", "203.0.113.9, 192.0.2.7, 10.2.2.2") == "192.0.2.7"


def test_the_environment_does_not_widen_the_trust(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    assert client_seen(LOOPBACK, "192.0.2.50", "10.9.9.9") == "192.0.2.50"
    assert client_seen((), "127.0.0.1", "10.9.9.9") == "127.0.0.1"
