"""Run the host: load the home folder, build the runtime and serve it with uvicorn over TLS.

Shared by `ecmahost serve` and `ecmahost demo`. TLS uses `tls.server_ssl_context` (TLS 1.2 minimum, strong
ciphers); plain HTTP only when asked for explicitly.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass

import uvicorn

from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home
from ecmahost.http.app import create_app
from ecmahost.runtime import HostRuntime
from ecmahost.settings import HostSettings, load_settings
from ecmahost.tls import server_ssl_context

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServeOptions:
    port: int
    bind: str
    insecure_http: bool = False
    log_level: str = "warning"


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
    runtime = runtime or build_runtime(home)
    context = None if options.insecure_http else tls_context(home, settings)
    config = uvicorn.Config(
        create_app(runtime),
        host=options.bind,
        port=options.port,
        log_level=options.log_level,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=30,
        lifespan="on",
        ssl_context_factory=None if context is None else (lambda _config, _default: context),
    )
    uvicorn.Server(config).run()
