"""Run the host: load the home folder, build the runtime and serve it with uvicorn over TLS, in one process or
in several worker processes (`--workers N`).

Shared by `ecmahost serve` and `ecmahost demo`. TLS uses `tls.server_ssl_context` (TLS 1.2 minimum, strong
ciphers); plain HTTP only when asked for explicitly. Logging is set up first (rotating files in `<home>/logs` and
stderr, levels from `host.yaml`; uvicorn's own logging config is not used), and the host monitor publishes
`run/host.pid` and `run/state.json` and applies log-level changes while serving.

Workers: with `workers > 1` uvicorn's supervisor binds the socket once and spawns the workers, each of which builds
its own runtime (connectors, pools) through `ecmahost.worker.worker_app`, with the same TLS context factory and
logging setup. The supervisor itself never imports the app (the SCIM layers, Starlette, the connectors): it only
supervises, so it starts and spawns its workers sooner. Exactly one worker runs the full monitor
(`ecmahost.worker`); every other worker only follows log-level changes. Worker processes do not share memory: recent
errors are per worker. Metrics are host-wide: the supervisor empties `run/metrics/` and names it in
`PROMETHEUS_MULTIPROC_DIR` before it spawns the workers, each worker keeps its values in files there, and `/metrics`
adds them up whichever worker answers (`observability.metrics`); each worker's monitor publishes its pool usage
there every second. All processes write the same log files through a cross-process lock (`observability.log_setup`).

Shutdown: uvicorn turns SIGTERM and SIGINT into a graceful stop (the supervisor forwards it to its workers). It
stops accepting connections, lets in-flight requests finish (up to `GRACEFUL_SECONDS`; each connector call is
also bounded by its own time budget), then runs the app's shutdown (monitor, connectors closed). A write in
progress therefore completes or, past the budget, rolls back with its transaction: no partial writes.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from ecmahost import tls_reload
from ecmahost.home import Home
from ecmahost.observability.log_setup import configure_logging
from ecmahost.observability.run_files import MULTIPROCESS_ENV, reset_metrics_dir
from ecmahost.settings import HostSettings, load_settings
from ecmahost.tls import server_ssl_context

if TYPE_CHECKING:
    from ecmahost.runtime import HostRuntime

logger = logging.getLogger(__name__)
GRACEFUL_SECONDS = 30
WORKER_ENV = "ECMAHOST_WORKER"
"""Environment variable through which the supervisor tells spawned workers what to serve (JSON, no secret)."""


@dataclass(frozen=True, slots=True)
class ServeOptions:
    port: int
    bind: str
    insecure_http: bool = False
    workers: int = 1


def build_runtime(home: Home) -> HostRuntime:
    from ecmahost.config.store import ConnectorStore
    from ecmahost.runtime import HostRuntime

    report = ConnectorStore(home).scan()
    errors = {name: str(error) for name, error in report.errors.items()}
    for name, error in errors.items():
        logger.error("connector file %s is invalid and not served:\n%s", name, error)
    return HostRuntime.build(home.root, report.configs, errors)


def options_from(
    settings: HostSettings, port: int | None, bind: str | None, insecure_http: bool, workers: int = 1
) -> ServeOptions:
    return ServeOptions(
        port=port or settings.port, bind=bind or settings.bind, insecure_http=insecure_http, workers=workers
    )


def worker_count(text: str) -> int:
    """`--workers`: a positive number, or `auto` for one worker per CPU core."""
    if text.strip().lower() == "auto":
        return os.cpu_count() or 1
    if not text.strip().isdigit() or int(text) < 1:
        raise ValueError(f"--workers must be a positive number or 'auto', not {text!r}")
    return int(text)


def tls_context(home: Home, settings: HostSettings) -> ssl.SSLContext:
    cert, key = settings.certificate_paths(home)
    return server_ssl_context(cert, key)


def _tls_factory(cert: Path, key: Path, _config: uvicorn.Config, _default: Any) -> ssl.SSLContext:
    """uvicorn's `ssl_context_factory`, picklable so that spawned workers build the same context. The context
    is watched: a renewed certificate is served without a restart (`tls_reload`)."""
    return tls_reload.watch(server_ssl_context(cert, key), cert, key)


def _uvicorn_config(app: Any, home: Home, settings: HostSettings, options: ServeOptions) -> uvicorn.Config:
    factory = None
    if not options.insecure_http:
        factory = functools.partial(_tls_factory, *settings.certificate_paths(home))
    return uvicorn.Config(
        app,
        host=options.bind,
        port=options.port,
        workers=options.workers,
        factory=isinstance(app, str),
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        lifespan="on",
        ssl_context_factory=factory,
    )


def serve(home: Home, options: ServeOptions, runtime: HostRuntime | None = None) -> None:
    settings = load_settings(home)
    logging_setup = configure_logging(home, settings, console=True)
    try:
        if options.workers > 1:
            _serve_workers(home, settings, options)
            return
        from ecmahost.http.app import create_app  # the app is imported where it runs (see the module docstring)
        from ecmahost.observability.monitor import HostMonitor

        runtime = runtime or build_runtime(home)
        if not options.insecure_http:
            tls_context(home, settings)  # fail here, before binding, when the key or certificate is unusable
        monitor = HostMonitor(home, runtime, settings, _served_at(options))
        config = _uvicorn_config(create_app(runtime, settings, monitor=monitor), home, settings, options)
        uvicorn.Server(config).run()
    finally:
        logging_setup.close()


def _served_at(options: ServeOptions) -> Any:
    from ecmahost.observability.monitor import ServedAt

    return ServedAt("http" if options.insecure_http else "https", options.bind, options.port)


def _serve_workers(home: Home, settings: HostSettings, options: ServeOptions) -> None:
    """uvicorn's supervisor: bind once, spawn `options.workers` processes running `worker_app`, restart any that
    dies, stop them all on SIGTERM/SIGINT."""
    if not options.insecure_http:
        tls_context(home, settings)
    spec = {"home": str(home.root), "scheme": "http" if options.insecure_http else "https"}
    spec |= {"bind": options.bind, "port": options.port}
    os.environ[WORKER_ENV] = json.dumps(spec)  # inherited by the spawned workers
    if settings.metrics.enabled:  # read by prometheus_client when a worker imports it
        os.environ[MULTIPROCESS_ENV] = str(reset_metrics_dir(home))
    config = _uvicorn_config("ecmahost.worker:worker_app", home, settings, options)
    Multiprocess(config, sockets=[config.bind_socket()]).run()
