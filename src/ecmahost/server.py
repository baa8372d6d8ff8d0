"""Run the host: load the home folder, build the runtime and serve it with uvicorn over TLS, in one process or
in several worker processes (`--workers N`).

Shared by `ecmahost serve` and `ecmahost demo`. TLS uses `tls.server_ssl_context` (TLS 1.2 minimum, strong
ciphers); plain HTTP only when asked for explicitly. Logging is set up first (rotating files in `<home>/logs` and
stderr, levels from `host.yaml`; uvicorn's own logging config is not used), and the host monitor publishes
`run/host.pid` and `run/state.json` and applies log-level changes while serving.

Workers: with `workers > 1` uvicorn's supervisor binds the socket once, imports the app (the SCIM layers,
Starlette, the configured connector types, uvloop) and then forks the workers, which start with it loaded and
share its memory pages (spawning a fresh interpreter per worker, which imported it all again, was most of the
start-up). Before it forks, the supervisor opens no connection and creates no event loop or thread: each worker
builds its own runtime (connectors, pools) through `ecmahost.worker.worker_app`, with the same TLS context factory
and logging setup. Importing this module loads none of the app (the other commands need not). Exactly one worker
runs the full monitor (`ecmahost.worker`); every other worker only follows log-level changes. Workers share no
state: recent errors are per worker. Metrics are host-wide: the supervisor empties `run/metrics/` and names it in
`PROMETHEUS_MULTIPROC_DIR` before it imports prometheus_client, each worker keeps its values in files there, and
`/metrics` adds them up whichever worker answers (`observability.metrics`); each worker's monitor publishes its
pool usage there every second. All processes write the same log files through a cross-process lock
(`observability.log_setup`).

Shutdown: uvicorn turns SIGTERM and SIGINT into a graceful stop (the supervisor forwards it to its workers). It
stops accepting connections, lets in-flight requests finish (up to `GRACEFUL_SECONDS`; each connector call is
also bounded by its own time budget), then runs the app's shutdown (monitor, connectors closed). A write in
progress therefore completes or, past the budget, rolls back with its transaction: no partial writes.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import inspect
import json
import logging
import multiprocessing
import os
import signal
import socket
import ssl
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.context import ForkProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn
from uvicorn.config import HTTP_PROTOCOLS
from uvicorn.importer import import_from_string
from uvicorn.supervisors import Multiprocess, multiprocess

from ecmahost import tls_reload
from ecmahost.home import Home
from ecmahost.observability.log_setup import LoggingSetup, configure_logging
from ecmahost.observability.run_files import MULTIPROCESS_ENV, reset_metrics_dir
from ecmahost.settings import HostSettings, load_settings
from ecmahost.tls import server_ssl_context

if TYPE_CHECKING:
    from ecmahost.runtime import HostRuntime

logger = logging.getLogger(__name__)
GRACEFUL_SECONDS = 30
WORKER_ENV = "ECMAHOST_WORKER"
"""Environment variable through which the supervisor tells its workers what to serve (JSON, no secret)."""


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
    """uvicorn's `ssl_context_factory`, called in each worker, which builds its own context and watches it: a
    renewed certificate is served without a restart (`tls_reload`)."""
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
        ws="none",  # SCIM is plain HTTP: no WebSocket protocol to import in each worker
        ssl_context_factory=factory,
    )


def serve(home: Home, options: ServeOptions, runtime: HostRuntime | None = None) -> None:
    settings = load_settings(home)
    logging_setup = configure_logging(home, settings, console=True)
    try:
        if options.workers > 1:
            _serve_workers(home, settings, options, logging_setup)
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


def _serve_workers(home: Home, settings: HostSettings, options: ServeOptions, logging_setup: LoggingSetup) -> None:
    """uvicorn's supervisor: bind once, load what the workers need, fork `options.workers` processes running
    `worker_app`, restart any that dies, stop them all on SIGTERM/SIGINT."""
    if not options.insecure_http:
        tls_context(home, settings)
    spec = {"home": str(home.root), "scheme": "http" if options.insecure_http else "https"}
    spec |= {"bind": options.bind, "port": options.port}
    os.environ[WORKER_ENV] = json.dumps(spec)  # inherited by the workers
    if settings.metrics.enabled:  # read by prometheus_client when it is imported (by `_preload`)
        os.environ[MULTIPROCESS_ENV] = str(reset_metrics_dir(home))
    config = _uvicorn_config("ecmahost.worker:worker_app", home, settings, options)
    sockets = [config.bind_socket()]  # first: a client that connects meanwhile waits instead of being refused
    _preload(home, config)
    with forked_workers(logging_setup):
        Multiprocess(config, sockets=sockets).run()


def _preload(home: Home, config: uvicorn.Config) -> None:
    """Import, once, what every worker needs: the app and the configured connector types (`worker.preload`),
    uvicorn's event loop and HTTP protocol. Imports only, no loop, connection or thread: the forked workers
    would share them. What was loaded is then frozen: the collector never writes to those objects again, so
    their memory pages stay shared with the workers instead of being copied into each."""
    from ecmahost.worker import preload

    gc.disable()  # importing leaves next to no garbage: collecting during it only costs time
    try:
        preload(home)
        config.get_loop_factory()  # imports the loop's module (uvloop); creates no loop
        if isinstance(config.http, str):
            import_from_string(HTTP_PROTOCOLS.get(config.http, config.http))
        gc.freeze()
    finally:
        gc.enable()


_SUPERVISOR_SIGNALS = tuple(getattr(multiprocess, "SIGNALS", ()))


def _uvicorn_can_fork() -> bool:
    """Whether workers can be forked here: on Linux only (Windows has no fork; on macOS system frameworks are not
    safe across a fork, which is why Python spawns there), and with a uvicorn that still builds its workers the way
    `forked_workers` relies on (checked at run time too: a newer uvicorn that changed it makes the host spawn its
    workers again, not fail to start)."""
    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return False
    try:
        from uvicorn._subprocess import subprocess_started
    except ImportError:
        return False
    getter = getattr(multiprocess, "get_subprocess", None)
    return (
        bool(_SUPERVISOR_SIGNALS)
        and getter is not None
        and list(inspect.signature(getter).parameters) == ["config", "target", "sockets"]
        and list(inspect.signature(subprocess_started).parameters) == ["config", "target", "sockets", "stdin_fileno"]
    )


@contextlib.contextmanager
def forked_workers(supervisor_logging: LoggingSetup) -> Iterator[None]:
    """Make uvicorn's supervisor fork its workers from this process, which has loaded the app (`_preload`),
    instead of spawning fresh interpreters that each import it all again (with 2 workers, the first 200 came
    1.9 s after the start on the benchmark machine, 1.5 s with the fork). uvicorn has no option for it: its
    `Process` asks `multiprocess.get_subprocess(config, target, sockets)` for the process, replaced here while
    the supervisor runs (`tests/unit/test_server_fork.py` checks that uvicorn still works this way)."""
    if not _uvicorn_can_fork():
        if sys.platform.startswith("linux"):
            logger.warning("this uvicorn builds its workers differently: they are spawned (a slower start), not forked")
        yield
        return
    original = multiprocess.get_subprocess
    multiprocess.get_subprocess = functools.partial(_forked_process, supervisor_logging)
    try:
        yield
    finally:
        multiprocess.get_subprocess = original


def _forked_process(
    supervisor_logging: LoggingSetup, config: uvicorn.Config, target: Callable[..., None], sockets: list[socket.socket]
) -> ForkProcess:
    kwargs = {"config": config, "target": target, "sockets": sockets, "supervisor_logging": supervisor_logging}
    return multiprocessing.get_context("fork").Process(target=_forked_worker, kwargs=kwargs)


def _forked_worker(
    config: uvicorn.Config, target: Callable[..., None], sockets: list[socket.socket], supervisor_logging: LoggingSetup
) -> None:
    """A forked worker starts as a spawned one did: default signal handlers (not the supervisor's, which only
    queue signals for its loop) and none of the supervisor's log handlers (`worker_app` attaches its own). It
    reads no standard input (uvicorn reopens it for debuggers)."""
    for number in _SUPERVISOR_SIGNALS:
        signal.signal(number, signal.default_int_handler if number == signal.SIGINT else signal.SIG_DFL)
    supervisor_logging.close()
    from uvicorn._subprocess import subprocess_started  # present: `forked_workers` checked

    subprocess_started(config, target, sockets, stdin_fileno=None)
