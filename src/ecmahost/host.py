"""The one place that assembles the host: from a home folder and a `Role`, `Host` builds the settings, the logging,
the runtime (connectors), the metrics, the activity journal, the request observer, the watchers and the ASGI app
with its lifespan. `server` (one process), `supervisor`/`worker` (`serve --workers N`) and `asgi` (any ASGI
server) are thin adapters over it; tests use the `EMBEDDED` role.

    Host(home, SINGLE).app()  ->  runtime, metrics, journal, observer  ->  http.create_app(..., lifespan)

The lifespan opens the connectors and the journal, tunes the garbage collector, publishes the run files and starts
the one housekeeping task, which every second polls the `watch.Watcher`s (log levels in `host.yaml`, the
certificate, the connector files), refreshes `run/state.json` and publishes the worker's pool usage; it undoes
all of it at shutdown. What differs between the ways the host runs is data (`Role`), not a subclass.

With an agent folder (`serve --agent DIR`) the lifespan also runs the relay agent of that folder (`HostAgent`): it
takes the site's requests from NATS and hands them to this app in process; at shutdown it drains (no new
requests, those in flight answered) before the connectors close. Each worker of `--workers N` runs its own.

Importing this module loads none of the app (Starlette, the connectors, prometheus_client): the supervisor of
`serve --workers N` imports it before it names the shared metrics folder, and `app()` imports what it builds.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import portalocker

from ecmahost.home import Home
from ecmahost.observability.log_setup import LoggingSetup, configure_logging
from ecmahost.observability.monitor import RunFiles, ServedAt, follow_levels
from ecmahost.observability.run_files import run_dir
from ecmahost.settings import HostSettings, load_settings
from ecmahost.tls import server_ssl_context
from ecmahost.watch import CertificateReloader, Watcher

if TYPE_CHECKING:
    from ecmahost.http.app import HostApp
    from ecmahost.observability.metrics import Metrics
    from ecmahost.runtime import HostRuntime

logger = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 1.0
GC_THRESHOLD = 20_000
"""Allocations between young-generation collections (CPython's default is 700)."""
MONITOR_LOCK = "monitor.lock"
"""Held by the one worker of `serve --workers N` that writes the run files (naming the supervisor)."""


@dataclass(frozen=True, slots=True)
class Role:
    """How one process runs the host."""

    name: str
    logging: bool = True
    """sets up the host's logging from `host.yaml` (log files and stderr)"""
    run_files: bool = False
    """publishes `run/host.pid` and `run/state.json` for `ecmahost status`"""
    shared: bool = False
    """one of several workers: only the one holding `run/monitor.lock` writes the run files, naming the supervisor"""
    follows_settings: bool = False
    """applies log levels saved in `host.yaml` and a renewed certificate while serving"""
    tunes_gc: bool = True
    """freezes what start-up loaded and collects less often (fewer pauses in the request path)"""


SINGLE = Role("single", run_files=True, follows_settings=True)
"""`ecmahost serve`: one process"""
SUPERVISOR = Role("supervisor", tunes_gc=False)
"""`ecmahost serve --workers N`: binds, preloads and forks the workers; builds no app"""
WORKER = Role("worker", run_files=True, shared=True, follows_settings=True)
"""one worker of `serve --workers N`"""
ASGI = Role("asgi")
"""under another ASGI server (`ecmahost.asgi`): TLS, ports and workers are the server's"""
EMBEDDED = Role("embedded", logging=False, tunes_gc=False)
"""in a test process: leaves logging and the garbage collector as they are"""


def build_runtime(home: Home) -> HostRuntime:
    """The runtime of every valid connector file; each invalid file is logged and kept as the reason it is not
    served."""
    from ecmahost.config.store import ConnectorStore
    from ecmahost.runtime import HostRuntime

    report = ConnectorStore(home).scan()
    errors = {name: str(error) for name, error in report.errors.items()}
    for name, error in errors.items():
        logger.error("connector file %s is invalid and not served:\n%s", name, error)
    return HostRuntime.build(home.root, report.configs, errors)


def settle_garbage_collector() -> None:
    """Move everything loaded at start-up (modules, compiled mappings, statements) out of the collector's view and
    collect the youngest generation less often: fewer, shorter pauses in the request path (the p99)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)


class Host:
    """The host of one home folder in one process, as its `role` runs it."""

    def __init__(
        self,
        home: Home,
        role: Role,
        *,
        settings: HostSettings | None = None,
        served_at: ServedAt | None = None,
        runtime: HostRuntime | None = None,
        agent: Path | None = None,
    ) -> None:
        self.home = home
        self.agent = agent
        """the relay agent's folder (`agent.json`, `agent.nk`) when this host takes requests from the relay"""
        self.role = role
        self.settings = settings or load_settings(home)
        self.served_at = served_at
        self.runtime = runtime
        self.logging: LoggingSetup | None = None
        if role.logging:
            self.logging = configure_logging(home, self.settings, console=True)
        self.tls: ssl.SSLContext | None = None

    def tls_context(self) -> ssl.SSLContext:
        """The serving TLS context (raises when the key or certificate is unusable: call it before binding); a
        role that follows settings reloads it when the files are renewed."""
        if self.tls is None:
            self.tls = server_ssl_context(*self.settings.certificate_paths(self.home))
        return self.tls

    def app(self) -> HostApp:
        """The ASGI app, its lifespan running everything this role runs."""
        from ecmahost.http.app import create_app
        from ecmahost.observability.activity import open_journal
        from ecmahost.observability.metrics import Metrics
        from ecmahost.observability.request_log import RequestObserver

        runtime = self.runtime = self.runtime or build_runtime(self.home)
        metrics = Metrics(lambda: runtime.connectors) if self.settings.metrics.enabled else None
        journal = open_journal(runtime.home, self.settings.activity)
        observer = RequestObserver(metrics, runtime.recent_errors, journal)
        housekeeping = self._housekeeping(runtime, metrics)
        agent = HostAgent(self.agent, lambda: app) if self.agent is not None else None

        @contextlib.asynccontextmanager
        async def lifespan(_app: Any) -> AsyncIterator[None]:
            await runtime.start()
            if journal is not None:
                journal.start()
            if self.role.tunes_gc:
                settle_garbage_collector()
            housekeeping.start()
            if agent is not None:
                agent.start()
            try:
                yield
            finally:
                if agent is not None:
                    await agent.stop()
                await housekeeping.stop()
                await runtime.stop()
                if journal is not None:
                    await asyncio.to_thread(journal.stop)

        app = create_app(runtime, self.settings, observer, metrics=metrics, lifespan=lifespan)
        return app

    def _housekeeping(self, runtime: HostRuntime, metrics: Metrics | None) -> Housekeeping:
        from ecmahost.reload import connector_watcher

        housekeeping = Housekeeping(self.settings, runtime, metrics)
        housekeeping.watchers.append(connector_watcher(runtime, self.home))
        if self.role.follows_settings:
            housekeeping.watchers.append(Watcher([self.home.host_file], housekeeping.follow_levels(self.home)))
            if self.tls is not None:
                cert, key = self.settings.certificate_paths(self.home)
                housekeeping.watchers.append(CertificateReloader(self.tls, cert, key).watcher())
        if self.role.run_files and self.served_at is not None:
            lock = _try_lock(run_dir(self.home) / MONITOR_LOCK) if self.role.shared else None
            if lock is not None or not self.role.shared:
                pid = os.getppid() if self.role.shared else None
                housekeeping.run_files = RunFiles(self.home, runtime, self.settings.log_levels, self.served_at, pid=pid)
                housekeeping.lock = lock
        return housekeeping

    def close(self) -> None:
        """Detach the host's log handlers (the process is about to end or fork)."""
        if self.logging is not None:
            self.logging.close()


class Housekeeping:
    """The host's one background task: every `interval` seconds, poll the watchers, publish this process's pool
    usage to the shared metrics, refresh the run files. One pass that fails is logged; the next one runs."""

    def __init__(self, settings: HostSettings, runtime: HostRuntime, metrics: Metrics | None) -> None:
        self.runtime = runtime
        self.metrics = metrics
        self.levels = settings.log_levels
        self.watchers: list[Watcher] = []
        self.run_files: RunFiles | None = None
        self.lock: IO[bytes] | None = None
        self.interval = HOUSEKEEPING_SECONDS
        self._task: asyncio.Task[None] | None = None

    def follow_levels(self, home: Home) -> Callable[[list[Path]], None]:
        """The `on_change` of the `host.yaml` watcher: apply the levels saved there."""

        def apply(_changed: list[Path]) -> None:
            self.levels = follow_levels(home, self.levels)

        return apply

    def start(self) -> None:
        if self.run_files is not None:
            self.run_files.start()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="ecmahost-housekeeping")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.run_files is not None:
            self.run_files.stop()
        if self.lock is not None:
            self.lock.close()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.once()

    async def once(self) -> None:
        for watcher in self.watchers:
            try:
                await watcher.poll()
            except Exception:  # the housekeeping must never stop the host
                logger.exception("host housekeeping: following %s failed", watcher)
        try:
            if self.metrics is not None:
                self.metrics.refresh_pools()
            if self.run_files is not None:
                self.run_files.refresh(self.levels)
        except Exception:
            logger.exception("host housekeeping pass failed")


class HostAgent:
    """The relay agent a host runs in its lifespan (`serve --agent DIR`): `ecmahost.agent.runner.Agent` with a
    forwarder calling the host's app in process. The agent's settings and key are read when the app is built, so
    a missing or broken agent folder fails the start, not the first request."""

    def __init__(self, folder: Path, app: Callable[[], Any]) -> None:
        from ecmahost.agent.forwarder import in_process
        from ecmahost.agent.runner import Agent

        self.agent = Agent(folder, lambda max_reply: in_process(app(), max_reply), follow_verbose=False)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.agent.serve(), name="ecmahost-agent")
        self._task.add_done_callback(_report_agent_end)

    async def stop(self) -> None:
        """Drain: no new requests from NATS, those in flight answered by the app (still open), then leave."""
        if self._task is None:
            return
        self.agent.stop()
        with contextlib.suppress(Exception):  # already reported by `_report_agent_end`
            await self._task


def _report_agent_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("the relay agent stopped: %s", task.exception(), exc_info=task.exception())


def _try_lock(path: Path) -> IO[bytes] | None:
    """An open file holding an exclusive lock on `path`, or None when another process holds it. The lock lives
    as long as the file stays open (the process's life), so a restarted worker can take it over. portalocker is
    `flock` on POSIX and `msvcrt.locking` on Windows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("ab")
    try:
        portalocker.lock(handle, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
    except portalocker.AlreadyLocked:
        handle.close()
        return None
    return handle
