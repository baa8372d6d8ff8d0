"""Run the host: load the home folder, build the runtime and serve it with uvicorn over TLS, in one process or
in several worker processes (`--workers N`).

Shared by `ecmahost serve` and `ecmahost demo`. TLS uses `tls.server_ssl_context` (TLS 1.2 minimum, strong
ciphers); plain HTTP only when asked for explicitly. Logging is set up first (rotating files in `<home>/logs` and
stderr, levels from `host.yaml`; uvicorn's own logging config is not used), and the host monitor publishes
`run/host.pid` and `run/state.json` and applies log-level changes while serving.

Workers: with `workers > 1` uvicorn's supervisor binds the socket once and spawns the workers, each of which
builds its own runtime (connectors, pools) through `worker_app`, with the same TLS context factory and logging
setup. Exactly one worker runs the full monitor (whichever holds the lock `run/monitor.lock`; it writes the
supervisor's pid, which is the process to signal); every other worker only follows log-level changes. Worker
processes do not share memory: recent errors are per worker. Metrics are host-wide: the supervisor empties
`run/metrics/` and names it in `PROMETHEUS_MULTIPROC_DIR` before it spawns the workers, each worker keeps its values
in files there, and `/metrics` adds them up whichever worker answers (`observability.metrics`); each worker's
monitor publishes its pool usage there every second. All processes write the same log files through a
cross-process lock (`observability.log_setup`).

Shutdown: uvicorn turns SIGTERM and SIGINT into a graceful stop (the supervisor forwards it to its workers). It
stops accepting connections, lets in-flight requests finish (up to `GRACEFUL_SECONDS`; each connector call is
also bounded by its own time budget), then runs the app's shutdown (monitor, connectors closed). A write in
progress therefore completes or, past the budget, rolls back with its transaction: no partial writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import json
import logging
import os
import ssl
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from ecmahost import tls_reload
from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home
from ecmahost.http.app import HostApp, create_app
from ecmahost.observability.log_setup import configure_logging
from ecmahost.observability.metrics import MULTIPROCESS_ENV, Metrics
from ecmahost.observability.monitor import HostMonitor, ServedAt
from ecmahost.observability.run_files import reset_metrics_dir, run_dir, write_pid
from ecmahost.runtime import HostRuntime
from ecmahost.settings import HostSettings, load_settings
from ecmahost.tls import server_ssl_context

logger = logging.getLogger(__name__)
GRACEFUL_SECONDS = 30
WORKER_ENV = "ECMAHOST_WORKER"
"""Environment variable through which the supervisor tells spawned workers what to serve (JSON, no secret)."""
MONITOR_LOCK = "monitor.lock"


@dataclass(frozen=True, slots=True)
class ServeOptions:
    port: int
    bind: str
    insecure_http: bool = False
    workers: int = 1


def build_runtime(home: Home) -> HostRuntime:
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
        runtime = runtime or build_runtime(home)
        if not options.insecure_http:
            tls_context(home, settings)  # fail here, before binding, when the key or certificate is unusable
        monitor = HostMonitor(home, runtime, settings, _served_at(options))
        config = _uvicorn_config(create_app(runtime, settings, monitor=monitor), home, settings, options)
        uvicorn.Server(config).run()
    finally:
        logging_setup.close()


def _served_at(options: ServeOptions) -> ServedAt:
    return ServedAt("http" if options.insecure_http else "https", options.bind, options.port)


def _serve_workers(home: Home, settings: HostSettings, options: ServeOptions) -> None:
    """uvicorn's supervisor: bind once, spawn `options.workers` processes running `worker_app`, restart any that
    dies, stop them all on SIGTERM/SIGINT."""
    if not options.insecure_http:
        tls_context(home, settings)
    spec = {"home": str(home.root), **asdict(_served_at(options))}
    os.environ[WORKER_ENV] = json.dumps(spec)  # inherited by the spawned workers
    if settings.metrics.enabled:  # read by prometheus_client when a worker imports it
        os.environ[MULTIPROCESS_ENV] = str(reset_metrics_dir(home))
    config = _uvicorn_config(f"{__name__}:worker_app", home, settings, options)
    Multiprocess(config, sockets=[config.bind_socket()]).run()


def worker_app() -> HostApp:
    """The app of one worker process (uvicorn calls it as a factory in each spawned worker)."""
    spec = json.loads(os.environ[WORKER_ENV])
    home = Home(Path(spec.pop("home")))
    settings = load_settings(home)
    configure_logging(home, settings, console=True)
    runtime = build_runtime(home)
    served_at = ServedAt(**spec)
    lock = _try_lock(run_dir(home) / MONITOR_LOCK)
    if lock is not None:
        monitor: WorkerMonitor = SupervisedMonitor(home, runtime, settings, served_at, lock=lock)
    else:
        monitor = LevelFollower(home, runtime, settings, served_at)
    app = create_app(runtime, settings, monitor=monitor)
    monitor.metrics = app.state.metrics
    return app


def _try_lock(path: Path) -> IO[bytes] | None:
    """An open file holding an exclusive lock on `path`, or None when another process holds it. The lock lives
    as long as the file stays open (the process's life), so a restarted worker can take it over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("ab")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


class WorkerMonitor(HostMonitor):
    """A worker's monitor, which also publishes the worker's pool usage to the shared metrics at each pass (the
    other workers cannot ask this one's pools)."""

    metrics: Metrics | None = None

    def publish_pools(self) -> None:
        if self.metrics is not None:
            self.metrics.refresh_pools()


class SupervisedMonitor(WorkerMonitor):
    """The full monitor in one worker, publishing the supervisor's pid (the process `ecmahost status` reports
    and a stop signal goes to)."""

    def __init__(self, *args: Any, lock: IO[bytes], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock = lock
        self.supervisor_pid = os.getppid()

    def start(self) -> None:
        super().start()
        write_pid(self.home, self.supervisor_pid)

    def poll(self) -> None:
        super().poll()
        self.publish_pools()

    def state(self) -> dict[str, Any]:
        return {**super().state(), "pid": self.supervisor_pid}

    async def stop(self) -> None:
        await super().stop()
        self.lock.close()


class LevelFollower(WorkerMonitor):
    """The monitor of the other workers: applies log-level changes from `host.yaml`, writes no run files."""

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="ecmahost-level-follower")

    def poll(self) -> None:
        tls_reload.poll()
        self.reload_levels()
        self.publish_pools()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
