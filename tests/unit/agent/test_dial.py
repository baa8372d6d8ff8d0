"""How the agent dials NATS: which URLs go together, the loopback tunnel's URL, the Host header, and the TLS context
pinned to the server's real name (against a real TLS listener on loopback)."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest

from ecmahost.agent.dial import PinnedName, certificate_error, dial, host_header, tls_context
from ecmahost.agent.settings import nats_urls_problem

from support.nats import make_ca


def test_wss_and_tls_urls_are_not_mixed() -> None:
    problem = nats_urls_problem(["tls://nats.example.org:4222", "wss://nats.example.org"])
    assert problem is not None
    assert "cannot be mixed" in problem


def test_plain_websocket_is_refused_for_wss() -> None:
    problem = nats_urls_problem(["ws://nats.example.org"])
    assert problem is not None
    assert "wss://host" in problem


@pytest.mark.parametrize("urls", [["wss://nats.example.org", "wss://b.example.org:8443/nats"], ["tls://a:4222"]])
def test_one_kind_of_url_is_accepted(urls: list[str]) -> None:
    assert nats_urls_problem(urls) is None


def test_the_host_header_names_the_port_only_when_it_is_not_the_default() -> None:
    assert host_header("wss://nats.example.org:443/nats") == "nats.example.org"
    assert host_header("wss://nats.example.org/nats") == "nats.example.org"
    assert host_header("wss://nats.example.org:8443") == "nats.example.org:8443"


def test_through_a_proxy_a_websocket_url_keeps_its_path_and_checks_the_real_name() -> None:
    async def scenario() -> tuple[list[str], dict[str, object]]:
        way = await dial(["wss://nats.example.org/nats?x=1"], "http://127.0.0.1:9", None)
        await way.close()
        return way.servers, way.options

    servers, options = asyncio.run(scenario())
    assert servers[0].startswith("wss://127.0.0.1:")
    assert servers[0].endswith("/nats?x=1")
    assert options["tls_hostname"] == "nats.example.org"
    assert options["ws_connection_headers"] == {"Host": ["nats.example.org"]}
    assert isinstance(options["tls"], PinnedName)
    assert options["tls"].pinned == "nats.example.org"


def test_without_a_proxy_nothing_is_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("https_proxy", raising=False)
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    way = asyncio.run(dial(["wss://nats.example.org"], None, None))
    assert way.servers == ["wss://nats.example.org"]
    assert set(way.options) == {"tls"}
    assert not isinstance(way.options["tls"], PinnedName)


async def _handshake(ca: Path, cert: Path, key: Path, pinned: str) -> None:
    """Dial 127.0.0.1 (as through a tunnel) with a context pinned to `pinned`; the certificate names localhost."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=server_context)
    port = server.sockets[0].getsockname()[1]
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=tls_context(str(ca), pinned))
        writer.close()
    finally:
        server.close()


def test_a_pinned_context_checks_the_pinned_name_not_the_dialled_address(tmp_path: Path) -> None:
    ca, cert, key = make_ca(tmp_path, ("localhost",))
    asyncio.run(_handshake(ca, cert, key, "localhost"))
    with pytest.raises(ssl.SSLCertVerificationError) as refused:
        asyncio.run(_handshake(ca, cert, key, "nats.example.org"))
    found = certificate_error(refused.value)
    assert found is not None
    assert "nats.example.org" in str(found.verify_message)
