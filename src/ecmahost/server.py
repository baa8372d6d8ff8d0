"""Run the host over TLS with uvicorn, in one process or in several worker processes (`--workers N`): the
adapter between `ecmahost serve`/`ecmahost demo` and `ecmahost.host.Host`, and the one module that knows the HTTP
server (uvicorn, through its public `Config`/`Server` API only: another server would replace this module).

TLS uses `tls.server_ssl_context` (TLS 1.2 minimum, strong ciphers), built by the `Host` before binding (an
unusable key fails the start there) and handed to uvicorn; the host's housekeeping reloads it when the certificate
is renewed. Plain HTTP only when asked for explicitly. Logging is set up by the `Host` (rotating files in
`<home>/logs` and stderr, levels from `host.yaml`; uvicorn's own logging config is not used).

Workers: with `workers > 1` this process is the supervisor (`ecmahost.supervisor`): it binds the socket once,
imports what the workers need (the app, the configured connector types, uvloop and the HTTP protocol: `preload`)
and forks the workers, which start with it loaded and share its memory pages (spawning a fresh interpreter per
worker, which imported it all again, was most of the start-up). Before it forks, the supervisor opens no
connection and creates no event loop or thread: each worker builds its own `Host` in the `WORKER` role
(`serve_worker`). Exactly one worker writes the run files, naming the supervisor's pid. Workers share no
state: recent errors are per worker. Metrics are host-wide: the supervisor empties `run/metrics/` and names it in
`PROMETHEUS_MULTIPROC_DIR` before it imports prometheus_client, each worker keeps its values in files there, and
`/metrics` adds them up whichever worker answers (`observability.metrics`). All processes write the same log files
through a cross-process lock (`observability.log_setup`). Importing this module loads none of the app (the other
commands need not). Forking is POSIX only: where `os.fork` does not exist (Windows), `worker_count` refuses more
than one worker with a message, and the host runs as one process.

Client addresses: uvicorn's proxy-headers middleware takes the client's address from `X-Forwarded-For` (and the
scheme from `X-Forwarded-Proto`) only when the TCP peer is one of `trusted_proxies` in host.yaml (default: loopback,
where a forwarding agent of the relay runs); empty turns the middleware off. Passed explicitly: uvicorn's own
default reads `FORWARDED_ALLOW_IPS` from the environment, which `host.yaml` should not leave to chance.

Shutdown: with `shutdown_drain_seconds` set, a stop signal first starts the lame-duck drain (`ecmahost.drain`,
`DrainingServer`): the host serves on with `/health` at 503 and `Connection: close` on every response, and a
second signal ends the drain early. Then uvicorn's graceful stop, which SIGTERM and SIGINT start at once when there
is no drain (the supervisor sends SIGTERM to its workers, each of which drains on its own). It
stops accepting connections, lets in-flight requests finish (up to `GRACEFUL_SECONDS`; each connector call is
also bounded by its own time budget), then runs the app's shutdown (housekeeping, connectors closed). A write in
progress therefore completes or, past the budget, rolls back with its transaction: no partial writes.
"""

from __future__ import annotations

import gc
import os
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import uvicorn
from uvicorn.config import HTTP_PROTOCOLS, STARTUP_FAILURE
from uvicorn.importer import import_from_string

from ecmahost.drain import Drain
from ecmahost.home import Home
from ecmahost.host import SINGLE, SUPERVISOR, WORKER, Host
from ecmahost.observability.monitor import ServedAt
from ecmahost.observability.run_files import MULTIPROCESS_ENV, reset_metrics_dir
from ecmahost.settings import HostSettings

if TYPE_CHECKING:
    from ecmahost.runtime import HostRuntime

GRACEFUL_SECONDS = 30


@dataclass(frozen=True, slots=True)
class ServeOptions:
    port: int
    bind: str
    insecure_http: bool = False
    workers: int = 1
    agent: Path | None = None
    """`--agent DIR`: also take the relay's requests with the agent of DIR, in process (each worker its own)"""

    @property
    def served_at(self) -> ServedAt:
        return ServedAt("http" if self.insecure_http else "https", self.bind, self.port)


def options_from(
    settings: HostSettings,
    port: int | None,
    bind: str | None,
    insecure_http: bool,
    workers: int = 1,
    agent: Path | None = None,
) -> ServeOptions:
    return ServeOptions(
        port=port or settings.port,
        bind=bind or settings.bind,
        insecure_http=insecure_http,
        workers=workers,
        agent=agent,
    )


def worker_count(text: str) -> int:
    """`--workers`: a positive number, or `auto` for one worker per CPU core. More than one needs `os.fork`
    (the supervisor forks them): where there is none (Windows), a clear refusal instead of a traceback."""
    if text.strip().lower() == "auto":
        count = os.cpu_count() or 1
    elif not text.strip().isdigit() or int(text) < 1:
        raise ValueError(f"--workers must be a positive number or 'auto', not {text!r}")
    else:
        count = int(text)
    if count > 1 and not hasattr(os, "fork"):
        raise ValueError(
            f"--workers {text}: several workers need fork (Linux, macOS), which this platform lacks; "
            "serve with one worker, and run one host per service instance behind a load balancer for more"
        )
    return count


def uvicorn_config(
    app: Any, options: ServeOptions, tls: ssl.SSLContext | None, trusted_proxies: tuple[str, ...] = ()
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=options.bind,
        port=options.port,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=list(trusted_proxies),
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        lifespan="on",
        ws="none",  # SCIM is plain HTTP: no WebSocket protocol to import in each worker
        ssl_context_factory=None if tls is None else lambda _config, _default: tls,
    )


class DrainingServer(uvicorn.Server):
    """uvicorn's server with the host's lame-duck drain (`ecmahost.drain`) before its graceful stop: a stop signal
    goes to the `Drain`, which says whether to stop now; uvicorn's 0.1 s main-loop tick asks it when the drain is
    over. Only the two public hooks uvicorn's own signal handling uses are overridden."""

    def __init__(self, config: uvicorn.Config, drain: Drain) -> None:
        super().__init__(config)
        self.drain = drain

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        stopping = self.should_exit
        super().handle_exit(sig, frame)  # keeps the signal to re-raise at exit; asks for the graceful stop
        if not stopping and not self.drain.signal():
            self.should_exit = False  # not yet: `on_tick` asks for it when the drain is over

    async def on_tick(self, counter: int) -> bool:
        if self.drain.tick():  # True from the end of the drain (or its skip) on: the loop then ends at once
            self.should_exit = True
        return await super().on_tick(counter)


def run_server(host: Host, options: ServeOptions, sockets: list[socket.socket] | None = None) -> None:
    """Serve `host`'s app until a stop signal (on `sockets` when the supervisor bound them), draining first for
    `shutdown_drain_seconds`."""
    tls = None if options.insecure_http else host.tls_context()  # before binding: an unusable key fails here
    app = host.app()
    config = uvicorn_config(app, options, tls, host.settings.trusted_proxies)
    DrainingServer(config, Drain(host.settings.shutdown_drain_seconds, app)).run(sockets=sockets)


def serve(home: Home, options: ServeOptions, runtime: HostRuntime | None = None) -> None:
    if options.workers > 1:
        _serve_workers(home, options)
        return
    host = Host(home, SINGLE, served_at=options.served_at, runtime=runtime, agent=options.agent)
    try:
        run_server(host, options)
    finally:
        host.close()


def serve_worker(home: Home, options: ServeOptions, sockets: list[socket.socket]) -> None:
    """One forked worker: its own `Host` in the `WORKER` role (logging, runtime, connectors, TLS context) serving
    the sockets the supervisor bound, until the supervisor stops it."""
    host = Host(home, WORKER, served_at=options.served_at, agent=options.agent)
    try:
        run_server(host, options, sockets)
    finally:
        host.close()


def _serve_workers(home: Home, options: ServeOptions) -> None:
    """Bind once, load what the workers need, fork `options.workers` processes serving the socket."""
    from ecmahost.supervisor import Supervisor

    host = Host(home, SUPERVISOR)
    try:
        if not options.insecure_http:
            host.tls_context()  # fail here, before binding, when the key or certificate is unusable
        if host.settings.metrics.enabled:  # read by prometheus_client when it is imported (by `preload`)
            os.environ[MULTIPROCESS_ENV] = str(reset_metrics_dir(home))
        config = uvicorn_config(None, options, None)
        sockets = [config.bind_socket()]  # first: a client that connects meanwhile waits instead of being refused
        preload(home, config)
        supervisor = Supervisor(
            options.workers,
            lambda: serve_worker(home, options, sockets),
            before_work=host.close,
            startup_failure=STARTUP_FAILURE,
        )
        supervisor.run()
    finally:
        host.close()


def preload(home: Home, config: uvicorn.Config) -> None:
    """Import, once, what every worker needs: the app and the configured connector types (`worker.preload`),
    uvicorn's event loop and HTTP protocol. Imports only, no loop, connection or thread: the forked workers
    would share them. What was loaded is then frozen: the collector never writes to those objects again, so
    their memory pages stay shared with the workers instead of being copied into each."""
    from ecmahost.worker import preload as preload_app

    gc.disable()  # importing leaves next to no garbage: collecting during it only costs time
    try:
        preload_app(home)
        config.get_loop_factory()  # imports the loop's module (uvloop); creates no loop
        if isinstance(config.http, str):
            import_from_string(HTTP_PROTOCOLS.get(config.http, config.http))
        gc.freeze()
    finally:
        gc.enable()
