"""The agent's life: connect out to NATS (forever, with backoff), take the site's requests in its queue group,
publish heartbeats, and on SIGTERM drain: stop taking requests, finish those in flight, leave.

Each request runs in its own task (a NATS subscription calls back one message at a time), at most
`max_in_flight` at once: beyond that the subscription's own buffer holds them.

`agent run` owns its process (`run`: signals, verbose window). `ecmahost serve --agent` runs `serve` inside the
host's lifespan with an in-process forwarder (`host_agent`): the host's server owns the signals and calls `stop`
then awaits the task at shutdown, before the connectors close.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import socket
import ssl
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nats
import nats.errors

from ecmahost import __version__
from ecmahost.agent import settings as agent_settings
from ecmahost.agent.dial import Dial, certificate_error, certificate_fix, dial
from ecmahost.agent.forwarder import Forwarder, Sender
from ecmahost.agent.logs import apply_verbose
from ecmahost.relay import envelope
from ecmahost.relay.registry import public_key

log = logging.getLogger(__name__)

HEADER_ROOM = 8192
MAX_BACKOFF = 30.0


class Agent:
    def __init__(
        self,
        home: Path,
        forwarder: Callable[[int], Sender] | None = None,
        *,
        follow_verbose: bool = True,
    ) -> None:
        """`forwarder` builds the forwarder from the largest reply NATS carries (default: HTTPS to `host_url`);
        `follow_verbose` applies the agent's verbose window to ecmahost's loggers (not inside a host, whose
        levels are its own)."""
        self.home = home
        self.make_forwarder = forwarder or self._https_forwarder
        self.follow_verbose = follow_verbose
        self.settings = agent_settings.load(home)
        self.seed = agent_settings.seed_file(home).read_bytes().strip()
        self.id = public_key(self.seed)
        self.stopping = asyncio.Event()
        self.in_flight: set[asyncio.Task[None]] = set()
        self.slots = asyncio.Semaphore(self.settings.max_in_flight)
        self.connected_since = 0.0
        self.served = 0
        self.nc: Any = None
        self.forwarder: Sender | None = None
        self.dial: Dial | None = None

    def _https_forwarder(self, max_reply: int) -> Forwarder:
        return Forwarder(self.settings.host_url, self.settings.host_ca, max_reply)

    async def run(self) -> None:
        """`agent run`: serve until SIGTERM or SIGINT, then drain."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, self.stop)
            except NotImplementedError:  # Windows' event loops: a plain handler hands the signal to the loop
                signal.signal(sig, lambda *_: loop.call_soon_threadsafe(self.stop))
        await self.serve()

    def stop(self) -> None:
        """Begin the drain: no new requests; `serve` returns once those in flight are answered."""
        self.stopping.set()

    async def serve(self) -> None:
        """Connect, take the site's requests until `stop`, then drain and leave."""
        self.nc = await self._connect()
        if self.nc is None:
            if self.dial is not None:
                await self.dial.close()
            return
        self.forwarder = self.make_forwarder(self.nc.max_payload - HEADER_ROOM)
        site = self.settings.site
        subscription = await self.nc.subscribe(
            envelope.site_subjects(site), queue=envelope.queue_group(site), cb=self._on_request
        )
        await self.nc.flush()  # the server has the subscription before we say so
        log.info("agent %s of site %s: taking requests for %s", self.id[:12], site, self.forwarder.target)
        beats = asyncio.create_task(self._heartbeats())
        await self.stopping.wait()
        log.info("draining: no new requests, %d in flight", len(self.in_flight))
        await subscription.drain()
        while self.in_flight:
            await asyncio.gather(*self.in_flight, return_exceptions=True)
        beats.cancel()
        await self.forwarder.close()
        await self.nc.drain()
        if self.dial is not None:
            await self.dial.close()
        log.info("agent stopped")

    async def _connect(self) -> Any:
        """The first connection, retried with a growing backoff (nats-py reconnects by itself afterwards)."""
        delay = self.settings.reconnect_seconds
        self.dial = await dial(self.settings.nats_urls, self.settings.proxy, self.settings.nats_ca)
        if self.dial.tunnels:
            log.info("reaching NATS through the proxy %s", _without_password(self.dial.tunnels[0].proxy))
        while not self.stopping.is_set():
            nc = nats.NATS()
            try:
                connected = await self._unless_stopped(
                    nc,
                    servers=self.dial.servers,
                    **self.dial.options,
                    nkeys_seed_str=self.seed.decode(),
                    name=f"ecmahost-agent {socket.gethostname()}",
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=self.settings.reconnect_seconds,
                    allow_reconnect=True,
                    connect_timeout=5,
                    error_cb=self._log_error,
                    disconnected_cb=_log_disconnected,
                    reconnected_cb=self._on_reconnected,
                )
            except (TimeoutError, OSError, nats.errors.Error, ssl.SSLError) as exc:
                log.warning("cannot connect to NATS (%s); again in %.0f s", exc or type(exc).__name__, delay)
                try:
                    await asyncio.wait_for(self.stopping.wait(), delay)
                except TimeoutError:
                    delay = min(delay * 2, MAX_BACKOFF)
                continue
            if not connected:
                return None
            self.connected_since = time.time()
            return nc
        return None

    async def _unless_stopped(self, nc: Any, **options: Any) -> bool:
        """`nc.connect(**options)`, given up when `stop` comes first (with max_reconnect_attempts=-1 nats-py retries
        a failing first connection, a refused certificate too, without end: SIGTERM must not wait for it)."""
        connecting = asyncio.ensure_future(nc.connect(**options))
        stopped = asyncio.ensure_future(self.stopping.wait())
        await asyncio.wait((connecting, stopped), return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if connecting.done():
            connecting.result()
            return True
        connecting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await connecting
        await nc.close()
        return False

    async def _log_error(self, exc: Exception) -> None:
        """nats-py's errors, a refused certificate with its fix (nats-py retries it without end)."""
        refused = certificate_error(exc)
        if refused is None:
            log.warning("NATS: %s", exc or type(exc).__name__)
            return
        hosts = ", ".join(sorted({urlsplit(url).hostname or url for url in self.settings.nats_urls}))
        fix = certificate_fix(refused, hosts)
        log.warning("NATS: the server's TLS certificate was refused: %s; fix: %s", refused.verify_message, fix)

    async def _on_reconnected(self) -> None:
        self.connected_since = time.time()
        log.info("reconnected to NATS")

    async def _on_request(self, message: Any) -> None:
        if not message.reply:
            return
        await self.slots.acquire()
        task = asyncio.create_task(self._handle(message))
        self.in_flight.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.in_flight.discard(task)
        self.slots.release()

    async def _handle(self, message: Any) -> None:
        assert self.forwarder is not None
        started = time.perf_counter()
        reply = await self.forwarder.send(message.data, message.headers)
        self.served += 1
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s -> %s in %.1f ms",
                _request_line(message.data),
                _status(reply),
                (time.perf_counter() - started) * 1000,
            )
        try:
            await self.nc.publish(message.reply, reply)
        except nats.errors.Error as exc:
            log.warning("could not send a reply: %s", type(exc).__name__)

    async def _heartbeats(self) -> None:
        subject = envelope.heartbeat_subject(self.settings.site)
        while True:
            if self.follow_verbose:
                apply_verbose(self.home)
            beat = {
                "id": self.id,
                "version": __version__,
                "hostname": socket.gethostname(),
                "connected_since": self.connected_since,
                "in_flight": len(self.in_flight),
                "served": self.served,
                "sent_at": time.time(),
            }
            try:
                await self.nc.publish(subject, json.dumps(beat).encode())
            except nats.errors.Error as exc:
                log.debug("heartbeat not sent: %s", type(exc).__name__)
            await asyncio.sleep(self.settings.heartbeat_seconds)


def _request_line(payload: bytes) -> str:
    """Method and path of a request envelope, for the debug log (never a header value)."""
    try:
        request = envelope.decode_request(payload)
    except envelope.EnvelopeError:
        return "(a malformed request)"
    return f"{request.method} {request.path}"


def _status(payload: bytes) -> str:
    try:
        return str(envelope.decode_reply(payload).status)
    except envelope.EnvelopeError:
        return "?"


def _without_password(proxy: str) -> str:
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    return f"{parts.scheme}://{parts.hostname}:{parts.port}"


async def _log_disconnected() -> None:
    log.warning("disconnected from NATS; reconnecting")


def run_agent(home: Path) -> None:
    """`agent run` on uvloop where it is installed (uvicorn[standard] installs it except on Windows), as uvicorn's
    `loop="auto"` runs the host and the relay: the agent's work per request is mostly event-loop and socket work (a
    NATS message in, an HTTPS request to the host, a reply out), which uvloop does in C."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(Agent(home).run())


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # Windows: asyncio's own loop
        return None
    return uvloop.new_event_loop
