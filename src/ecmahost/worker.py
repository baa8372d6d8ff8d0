"""One worker process of `ecmahost serve --workers N` (see `ecmahost.server`): the app uvicorn's supervisor forks.

`worker_app` reads what to serve from `WORKER_ENV` (set by the supervisor), sets up logging, builds the runtime
and the app. Exactly one worker runs the full monitor (whichever holds the lock `run/monitor.lock`; it writes the
supervisor's pid, which is the process to signal); every other worker only follows log-level changes and
certificate renewals. Each publishes its pool usage to the shared metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
from pathlib import Path
from typing import IO, Any

from ecmahost import tls_reload
from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.registry import connector_type
from ecmahost.home import Home
from ecmahost.http.app import HostApp, create_app
from ecmahost.observability.log_setup import configure_logging
from ecmahost.observability.metrics import Metrics
from ecmahost.observability.monitor import HostMonitor, ServedAt
from ecmahost.observability.run_files import run_dir, write_pid
from ecmahost.server import WORKER_ENV, build_runtime
from ecmahost.settings import load_settings

MONITOR_LOCK = "monitor.lock"


def worker_app() -> HostApp:
    """The app of one worker process (uvicorn calls it as a factory in each worker, after the fork)."""
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


def preload(home: Home) -> None:
    """Import, in the supervisor that forks the workers, what they will need: this module (the app) and the
    connector type named in each connector file (the file parsed, not validated). Imports only: no runtime,
    connection, event loop or thread is created here, since the forked workers would share it. A file or a type
    that does not load is skipped: each worker reports it when it builds its runtime, as without a preload."""
    store = ConnectorStore(home)
    for name in store.list():
        with contextlib.suppress(Exception):
            kind = store.read_raw(name).get("type")
            if isinstance(kind, str):
                connector_type(kind)


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
