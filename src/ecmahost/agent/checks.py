"""`ecmahost agent test`: the guide's agent troubleshooting as ordered checks, each with a fix when it fails.

settings -> DNS -> TCP -> TLS (certificate against `nats_ca`, by the server's name) -> for a wss:// URL the
WebSocket upgrade -> authentication (the agent's nkey) -> permissions (its site's subjects) -> the host (`/health`
over HTTPS) -> a round trip through the relay and an agent. With a proxy, DNS and TCP are checked for the proxy,
then CONNECT and TLS through it; the WebSocket and NATS steps dial as the agent does (dial.py). A failed check stops
the ones that depend on it.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import httpx
import nats
import nats.errors

from ecmahost.agent import settings as agent_settings
from ecmahost.agent.dial import certificate_fix, dial, is_websocket, tls_context
from ecmahost.agent.proxy import default_port, open_via_proxy, proxy_for
from ecmahost.relay import envelope


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def run_checks(home: Path) -> Iterator[Check]:
    try:
        settings = agent_settings.load(home)
        seed = agent_settings.seed_file(home).read_bytes().strip()
    except (agent_settings.AgentSettingsError, OSError) as exc:
        yield Check("settings", False, str(exc), "run `ecmahost agent register --relay URL --code CODE`")
        return
    yield Check("settings", True, f"site {settings.site}, {len(settings.nats_urls)} NATS URL(s)")
    url = urlsplit(settings.nats_urls[0])
    host, port = url.hostname or "", url.port or default_port(url.scheme)
    websocket = is_websocket(settings.nats_urls[0])
    proxy = proxy_for(host, settings.proxy)
    if proxy:  # the proxy resolves and reaches the server: check the way to the proxy, then through it
        parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        steps = [
            lambda: _dns(parts.hostname or ""),
            lambda: _tcp(parts.hostname or "", parts.port or 3128),
            lambda: asyncio.run(_through_proxy(proxy, host, port, settings.nats_ca, websocket)),
        ]
    else:
        steps = [lambda: _dns(host), lambda: _tcp(host, port), lambda: _tls(host, port, settings.nats_ca, websocket)]
    if websocket:
        steps.append(lambda: asyncio.run(_websocket(settings)))
    for check in steps:
        result = check()
        for step in result if isinstance(result, list) else [result]:
            yield step
            if not step.ok:
                return
    for step in asyncio.run(_nats(settings, seed)):
        yield step
        if not step.ok:
            return
    yield (step := _host(settings))
    if step.ok and settings.relay_url:
        yield _round_trip(settings)


def _dns(host: str) -> Check:
    try:
        addresses = sorted({info[4][0] for info in socket.getaddrinfo(host, None)})
    except socket.gaierror as exc:
        return Check("DNS", False, f"{host}: {exc.strerror}", "check the name in nats_urls (agent.json) and DNS")
    return Check("DNS", True, f"{host} -> {', '.join(addresses)}")


def _tcp(host: str, port: int) -> Check:
    try:
        with socket.create_connection((host, port), timeout=5):
            return Check("TCP", True, f"{host}:{port} reachable")
    except OSError as exc:
        fix = "allow outbound TCP to this port in the firewall, or check that the NATS server runs"
        return Check("TCP", False, f"{host}:{port}: {exc.strerror or exc}", fix)


def _tls_off_fix(websocket: bool) -> str:
    if websocket:
        return "the NATS server's websocket listener must have TLS on (websocket { tls { cert_file, key_file } })"
    return "the NATS server must have TLS on (tls { cert_file, key_file })"


def _tls(host: str, port: int, ca: str | None, websocket: bool) -> Check:
    """NATS speaks INFO in clear first, then TLS (read the INFO line first); WebSocket starts with TLS. Then shake
    hands as the client will, checking the certificate by the server's name."""
    try:
        with socket.create_connection((host, port), timeout=5) as raw:
            if not websocket:
                raw.makefile("rb").readline()
            with tls_context(ca).wrap_socket(raw, server_hostname=host) as tls:
                subject = dict(item[0] for item in tls.getpeercert()["subject"])  # type: ignore[index]
                return Check("TLS", True, f"{tls.version()}, certificate for {subject.get('commonName', '?')}")
    except ssl.SSLCertVerificationError as exc:
        return Check("TLS", False, exc.verify_message or str(exc), certificate_fix(exc, host))
    except (ssl.SSLError, OSError) as exc:
        return Check("TLS", False, str(exc), _tls_off_fix(websocket))


async def _through_proxy(proxy: str, host: str, port: int, ca: str | None, websocket: bool) -> list[Check]:
    """CONNECT through the proxy, then the TLS handshake with the server inside the tunnel."""
    try:
        reader, writer = await open_via_proxy(proxy, host, port)
    except (TimeoutError, OSError) as exc:
        fix = f"allow CONNECT to port {port} at the proxy (tinyproxy: ConnectPort {port}; squid: SSL_ports)"
        return [Check("proxy", False, str(exc) or type(exc).__name__, fix)]
    checks = [Check("proxy", True, f"CONNECT {host}:{port} accepted")]
    try:
        if not websocket:
            await asyncio.wait_for(reader.readline(), 10)
        await writer.start_tls(tls_context(ca), server_hostname=host)
        tls = writer.get_extra_info("ssl_object")
        subject = dict(item[0] for item in tls.getpeercert()["subject"])
        checks.append(Check("TLS", True, f"{tls.version()}, certificate for {subject.get('commonName', '?')}"))
    except ssl.SSLCertVerificationError as exc:
        checks.append(Check("TLS", False, exc.verify_message or str(exc), certificate_fix(exc, host)))
    except (TimeoutError, ssl.SSLError, OSError) as exc:
        checks.append(Check("TLS", False, str(exc) or type(exc).__name__, _tls_off_fix(websocket)))
    writer.close()
    return checks


async def _websocket(settings: agent_settings.AgentSettings) -> Check:
    """The HTTP upgrade to WebSocket at the URL's path, dialled as the agent dials it (proxy, TLS name, Host)."""
    url = settings.nats_urls[0]
    way = await dial([url], settings.proxy, settings.nats_ca)
    headers = {name: values[0] for name, values in way.options.get("ws_connection_headers", {}).items()}
    fix = (
        "nats_urls must name the NATS server's websocket listener (websocket { port } in its config; "
        "any path), and a reverse proxy in front of it must pass the Upgrade"
    )
    try:
        async with (
            asyncio.timeout(10),
            aiohttp.ClientSession() as session,
            session.ws_connect(way.servers[0], ssl=way.options["tls"], headers=headers),
        ):
            pass
    except aiohttp.WSServerHandshakeError as exc:
        return Check("WebSocket", False, f"{url}: the upgrade was answered {exc.status} {exc.message}", fix)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        return Check("WebSocket", False, f"{url}: {exc or type(exc).__name__}", fix)
    finally:
        await way.close()
    return Check("WebSocket", True, f"{url}: upgraded")


async def _nats(settings: agent_settings.AgentSettings, seed: bytes) -> list[Check]:
    errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        errors.append(str(exc))

    way = await dial(settings.nats_urls, settings.proxy, settings.nats_ca)
    try:  # over WebSocket nats-py retries a failed dial until max_reconnect_attempts (0 would mean without end)
        nc = await nats.connect(
            way.servers, **way.options, nkeys_seed_str=seed.decode(), allow_reconnect=False,
            max_reconnect_attempts=1, reconnect_time_wait=0.2, connect_timeout=5, error_cb=on_error,
        )  # fmt: skip
    except (TimeoutError, nats.errors.Error, OSError) as exc:
        await way.close()
        fix = "this agent is not (or no longer) registered: run `ecmahost relay site add` and `agent register`"
        return [Check("authentication", False, " ".join([str(exc), *errors]).strip() or type(exc).__name__, fix)]
    checks = [Check("authentication", True, "the NATS server accepted the agent's key")]
    await nc.subscribe(envelope.site_subjects(settings.site), queue=envelope.queue_group(settings.site))
    await nc.publish(envelope.heartbeat_subject(settings.site), b"{}")
    await nc.flush()
    await asyncio.sleep(0.3)
    await nc.close()
    await way.close()
    refused = [error for error in errors if "permission" in error.lower()]
    if refused:
        fix = f"re-register the agent for site {settings.site}; the relay's nats-auth.conf must list its key"
        checks.append(Check("permissions", False, "; ".join(refused), fix))
    else:
        checks.append(Check("permissions", True, f"subscribe {envelope.site_subjects(settings.site)}, heartbeats"))
    return checks


def _host(settings: agent_settings.AgentSettings) -> Check:
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=settings.host_ca) if settings.host_ca else True
    try:
        answer = httpx.get(settings.host_url.rstrip("/") + "/health", verify=verify, timeout=10)
    except httpx.HTTPError as exc:
        fix = "start the host (ecmahost serve), check host_url and host_ca in agent.json"
        return Check("host", False, f"{settings.host_url}: {exc}", fix)
    if answer.status_code != 200:
        return Check("host", False, f"/health answered {answer.status_code}", "see `ecmahost status` on the host")
    return Check("host", True, f"{settings.host_url}/health answered 200")


def _round_trip(settings: agent_settings.AgentSettings) -> Check:
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=settings.relay_ca) if settings.relay_ca else True
    url = f"{settings.relay_url}/sites/{settings.site}/_ping"
    try:
        answer = httpx.get(url, verify=verify, timeout=60)
    except httpx.HTTPError as exc:
        return Check("round trip", False, f"{url}: {exc}", "check relay_url and relay_ca in agent.json")
    if answer.status_code == 503:
        return Check("round trip", False, "no agent of the site is running", "start it: `ecmahost agent run`")
    if answer.status_code != 200:
        return Check("round trip", False, f"{url} answered {answer.status_code}", "see the agent's and relay's logs")
    return Check("round trip", True, "relay -> NATS -> an agent -> host /health answered 200")
