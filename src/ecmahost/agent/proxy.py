"""Reach NATS through an HTTP CONNECT proxy (the guide's "Agent times out or certificate is invalid" case).

nats-py opens its TCP connections itself and has no proxy option, so the agent runs one loopback-only tunnel per
NATS server: nats-py connects to 127.0.0.1:<ephemeral>, and each connection is carried to the real server through
`CONNECT host:port` at the proxy. TLS still runs end to end between nats-py and the server (the agent passes the
server's name as `tls_hostname`), so the proxy sees only ciphertext. The listener accepts loopback connections
only: the agent still opens no port reachable from the network.

The proxy comes from the agent's `proxy` setting, else `https_proxy`/`HTTPS_PROXY`, unless `no_proxy` names the
server. `user:password@` in the proxy URL is sent as Basic `Proxy-Authorization`.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import urllib.request
from contextlib import suppress
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0


class ProxyError(OSError):
    """The proxy refused or failed the CONNECT; the message has its status line."""


def proxy_for(server_host: str, configured: str | None) -> str | None:
    """The proxy URL to use for this NATS server, or None for a direct connection."""
    if configured:
        return configured
    if urllib.request.proxy_bypass_environment(server_host):
        return None
    return os.environ.get("https_proxy") or os.environ.get("HTTPS_PROXY") or None


async def open_via_proxy(proxy: str, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A TCP stream to host:port through the proxy's CONNECT."""
    url = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    reader, writer = await asyncio.wait_for(asyncio.open_connection(url.hostname, url.port or 3128), CONNECT_TIMEOUT)
    request = f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n"
    if url.username:
        credentials = f"{unquote(url.username)}:{unquote(url.password or '')}".encode()
        request += f"Proxy-Authorization: Basic {base64.b64encode(credentials).decode()}\r\n"
    writer.write((request + "\r\n").encode())
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), CONNECT_TIMEOUT)
    while (await asyncio.wait_for(reader.readline(), CONNECT_TIMEOUT)) not in (b"\r\n", b"\n", b""):
        pass
    parts = status.decode(errors="replace").split(maxsplit=2)
    if len(parts) < 2 or parts[1] != "200":
        writer.close()
        raise ProxyError(
            f"the proxy {url.hostname}:{url.port} refused CONNECT {host}:{port}: {status.decode().strip()}"
        )
    return reader, writer


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with suppress(OSError, asyncio.IncompleteReadError):
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    with suppress(OSError):
        writer.close()


class Tunnel:
    """A loopback listener whose every connection is piped to host:port through the proxy."""

    def __init__(self, proxy: str, host: str, port: int) -> None:
        self.proxy, self.host, self.port = proxy, host, port
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            reader, writer = await open_via_proxy(self.proxy, self.host, self.port)
        except (TimeoutError, OSError) as exc:
            log.warning("proxy: %s", exc)
            client_writer.close()
            return
        await asyncio.gather(_pipe(client_reader, writer), _pipe(reader, client_writer))

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()


DEFAULT_PORTS = {"wss": 443, "ws": 80}


def default_port(scheme: str) -> int:
    """The port a NATS URL without one means: 443 for wss://, 4222 for nats:// and tls://."""
    return DEFAULT_PORTS.get(scheme, 4222)


async def tunnelled(urls: list[str], configured: str | None) -> tuple[list[str], list[Tunnel]]:
    """The NATS URLs to dial (a loopback tunnel's address where a proxy applies; a WebSocket URL keeps its path),
    and the tunnels."""
    dialled, tunnels = [], []
    for url in urls:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or default_port(parts.scheme)
        proxy = proxy_for(host, configured)
        if proxy is None:
            dialled.append(url)
            continue
        tunnel = Tunnel(proxy, host, port)
        dialled.append(parts._replace(netloc=f"127.0.0.1:{await tunnel.start()}").geturl())
        tunnels.append(tunnel)
    return dialled, tunnels
