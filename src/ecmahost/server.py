"""Run the host: load the home folder, build the runtime and serve it with uvicorn over TLS.

Shared by `ecmahost serve` and `ecmahost demo`. TLS uses `tls.server_ssl_context` (TLS 1.2 minimum, strong
ciphers); plain HTTP only when asked for explicitly. Logging is set up first (rotating files in `<home>/logs` and
stderr, levels from `host.yaml`; uvicorn's own logging config is not used), and the host monitor publishes
`run/host.pid` and `run/state.json` and applies log-level changes while serving.

Shutdown: uvicorn turns SIGTERM and SIGINT into a graceful stop. It stops accepting connections, lets in-flight
requests finish (up to `GRACEFUL_SECONDS`; each connector call is also bounded by its own time budget), then
runs the app's shutdown (monitor, connectors closed). A write in progress therefore completes or, past the
budget, rolls back with its transaction: no partial writes.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass

import uvicorn

from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home
from ecmahost.http.app import create_app
from ecmahost.observability.log_setup import configure_logging
from ecmahost.observability.monitor import HostMonitor, ServedAt
from ecmahost.runtime import HostRuntime
from ecmahost.settings import HostSettings, load_settings
from ecmahost.tls import server_ssl_context

logger = logging.getLogger(__name__)
GRACEFUL_SECONDS = 30


@dataclass(frozen=True, slots=True)
class ServeOptions:
    port: int
    bind: str
    insecure_http: bool = False


def build_runtime(home: Home) -> HostRuntime:
    report = ConnectorStore(home).scan()
    errors = {name: str(error) for name, error in report.errors.items()}
    for name, error in errors.items():
        logger.error("connector file %s is invalid and not served:\n%s", name, error)
    return HostRuntime.build(home.root, report.configs, errors)


def options_from(settings: HostSettings, port: int | None, bind: str | None, insecure_http: bool) -> ServeOptions:
    return ServeOptions(port=port or settings.port, bind=bind or settings.bind, insecure_http=insecure_http)


def tls_context(home: Home, settings: HostSettings) -> ssl.SSLContext:
    cert, key = settings.certificate_paths(home)
    return server_ssl_context(cert, key)


def serve(home: Home, options: ServeOptions, runtime: HostRuntime | None = None) -> None:
    settings = load_settings(home)
    logging_setup = configure_logging(home, settings, console=True)
    try:
        runtime = runtime or build_runtime(home)
        context = None if options.insecure_http else tls_context(home, settings)
        served_at = ServedAt("http" if options.insecure_http else "https", options.bind, options.port)
        monitor = HostMonitor(home, runtime, settings, served_at)
        config = uvicorn.Config(
            create_app(runtime, settings, monitor=monitor),
            host=options.bind,
            port=options.port,
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=GRACEFUL_SECONDS,
            lifespan="on",
            ssl_context_factory=None if context is None else (lambda _config, _default: context),
        )
        uvicorn.Server(config).run()
    finally:
        logging_setup.close()
