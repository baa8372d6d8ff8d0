"""How the agent dials NATS: the URLs nats-py connects to, the TLS context, and the proxy's loopback tunnels.

Two transports, one at a time (nats-py refuses to mix them in one server list):

- `tls://host:4222`: NATS's own protocol, INFO in clear, then TLS.
- `wss://host:443/path`: NATS over WebSocket, TLS first, then an HTTP upgrade; it needs only outbound HTTPS.
  nats-py runs it on aiohttp (the `aiohttp` dependency).

Through a proxy both are dialled at a loopback tunnel (proxy.py), and both keep TLS end to end and check the
certificate by the server's real name, not 127.0.0.1. For tls:// nats-py takes that name as `tls_hostname`. Its
WebSocket transport ignores `tls_hostname` and passes no proxy and no `server_hostname` to aiohttp, so the TLS
context itself carries the name (`PinnedName`: SNI and the certificate check use it, whatever host the URL names),
and the upgrade request carries `Host: <real host>`, what a reverse proxy in front of NATS routes by. Both are
public options of nats-py (`tls`, `ws_connection_headers`), so they hold across its reconnections too.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ecmahost.agent.proxy import Tunnel, default_port, tunnelled

X509_V_ERR_HOSTNAME_MISMATCH = 62  # OpenSSL's verify codes (x509_vfy.h)
X509_V_ERR_IP_ADDRESS_MISMATCH = 64


class PinnedName(ssl.SSLContext):
    """A client TLS context that sends SNI for, and checks the certificate against, one name (`pinned`) whatever
    name the connecting library passes. asyncio and uvloop both create their TLS objects through `wrap_bio`."""

    pinned = ""

    def wrap_bio(  # type: ignore[override]
        self,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        server_side: bool = False,
        server_hostname: str | bytes | None = None,
        session: ssl.SSLSession | None = None,
    ) -> ssl.SSLObject:
        return super().wrap_bio(incoming, outgoing, server_side, self.pinned or server_hostname, session)


def tls_context(ca: str | None, name: str | None = None) -> ssl.SSLContext:
    """The default client context (certificate and name checked), trusting `ca` when given; pinned to `name`."""
    if name is None:
        return ssl.create_default_context(cafile=ca)
    context = PinnedName(ssl.PROTOCOL_TLS_CLIENT)  # what create_default_context builds, as the subclass
    context.verify_flags = ssl.create_default_context().verify_flags
    context.pinned = name
    if ca:
        context.load_verify_locations(cafile=ca)
    else:
        context.load_default_certs()
    return context


def certificate_error(exc: BaseException | None) -> ssl.SSLCertVerificationError | None:
    """The certificate check that failed behind `exc` (aiohttp wraps it, nats-py raises it as is), or None."""
    while exc is not None:
        wrapped = getattr(exc, "certificate_error", None)  # aiohttp's error derives from the one it wraps
        if wrapped is None and isinstance(exc, ssl.SSLCertVerificationError):
            return exc
        exc = wrapped or exc.__cause__
    return None


def certificate_fix(error: ssl.SSLCertVerificationError, host: str) -> str:
    """What to do about a refused NATS certificate: a name it does not carry, or a CA the agent does not trust."""
    if error.verify_code in (X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH):
        return (
            f"the certificate does not name {host}: put a name it carries in nats_urls (agent.json), or give the "
            f"NATS server a certificate for {host}"
        )
    return (
        "set nats_ca in agent.json to the CA of the NATS server's certificate (a TLS-inspecting proxy breaks it), "
        "or renew an expired one"
    )


def is_websocket(url: str) -> bool:
    return urlsplit(url).scheme in ("ws", "wss")


def host_header(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    port = parts.port or default_port(parts.scheme)
    return host if port == default_port(parts.scheme) else f"{host}:{port}"


@dataclass
class Dial:
    """What `nats.connect` takes: `servers`, and `options` (tls, tls_hostname, ws_connection_headers)."""

    servers: list[str]
    options: dict[str, Any]
    tunnels: list[Tunnel] = field(default_factory=list)

    async def close(self) -> None:
        for tunnel in self.tunnels:
            await tunnel.close()


async def dial(urls: list[str], proxy: str | None, ca: str | None) -> Dial:
    """The way to the NATS servers: direct, or through the proxy (the setting, else https_proxy/no_proxy).

    With a proxy, every tunnelled server is checked against the last one's name: the servers behind one proxy
    share a certificate name (docs/agent.md)."""
    servers, tunnels = await tunnelled(urls, proxy)
    through = [url for url, server in zip(urls, servers, strict=True) if url != server]
    if not through:
        return Dial(servers, {"tls": tls_context(ca)})
    name = urlsplit(through[-1]).hostname or ""
    options: dict[str, Any] = {"tls": tls_context(ca, name), "tls_hostname": name}
    if is_websocket(through[-1]):
        options["ws_connection_headers"] = {"Host": [host_header(through[-1])]}
    return Dial(servers, options, tunnels)
