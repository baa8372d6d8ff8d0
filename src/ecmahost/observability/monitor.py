"""The running host's housekeeping task: apply a changed log level live, keep `run/state.json` current.

Live level change, the simplest robust way: `ecmahost log-level` saves `host.yaml` (so the level persists); the
monitor stats `host.yaml` every second and, when its modification time or size changed, re-reads it and applies
the new levels. No port to open or protect, nothing to authenticate, and it works for a host started by systemd as
well as in a terminal. A `host.yaml` that no longer validates is reported once and the current levels stay.

The monitor writes `run/host.pid` when it starts, rewrites `run/state.json` when an error is recorded, the levels
change, or every `state_every` seconds, and removes both when it stops. It runs on the server's event loop; each
pass is a `stat` and, rarely, a small file write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ecmahost import __version__, tls_reload
from ecmahost.config.errors import ConfigError
from ecmahost.home import Home
from ecmahost.observability.log_setup import apply_levels
from ecmahost.observability.redaction import redact_text
from ecmahost.observability.run_files import remove_run_files, write_pid, write_state
from ecmahost.runtime import HostRuntime
from ecmahost.settings import HostSettings, LogLevels, load_settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServedAt:
    scheme: str
    bind: str
    port: int

    @property
    def root(self) -> str:
        host = "localhost" if self.bind in ("0.0.0.0", "::", "") else self.bind  # noqa: S104 - a comparison
        return f"{self.scheme}://{host}:{self.port}"


class HostMonitor:
    def __init__(
        self,
        home: Home,
        runtime: HostRuntime,
        settings: HostSettings,
        served_at: ServedAt,
        *,
        interval: float = 1.0,
        state_every: float = 5.0,
    ) -> None:
        self.home = home
        self.runtime = runtime
        self.levels: LogLevels = settings.log_levels
        self.served_at = served_at
        self.interval = interval
        self.state_every = state_every
        self.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self._settings_stamp = self._stamp()
        self._written_at = 0.0
        self._errors_written = -1
        self._task: asyncio.Task[None] | None = None

    def _stamp(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.home.host_file)
        except FileNotFoundError:
            return None
        return info.st_mtime_ns, info.st_size

    def start(self) -> None:
        write_pid(self.home)
        self.write_state()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="ecmahost-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        remove_run_files(self.home)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                self.poll()
            except Exception:  # the housekeeping must never stop the host
                logger.exception("host monitor pass failed")

    def poll(self) -> None:
        """One pass: reload the levels if `host.yaml` changed, the certificate if its files changed, rewrite the
        state if due."""
        tls_reload.poll()
        changed = self.reload_levels()
        due = time.monotonic() - self._written_at >= self.state_every
        if changed or due or self.runtime.recent_errors.version != self._errors_written:
            self.write_state()

    def reload_levels(self) -> bool:
        stamp = self._stamp()
        if stamp == self._settings_stamp:
            return False
        self._settings_stamp = stamp
        try:
            levels = load_settings(self.home).log_levels
        except ConfigError as exc:
            logger.error("host.yaml changed but is invalid; log levels stay as they were:\n%s", exc)
            return False
        if levels == self.levels:
            return False
        apply_levels(levels)
        logger.warning("log levels are now host=%s, connectors=%s", levels.host.value, levels.connectors.value)
        self.levels = levels
        return True

    def state(self) -> dict[str, Any]:
        root = self.served_at.root
        return {
            "pid": os.getpid(),
            "version": __version__,
            "started_at": self.started_at,
            "updated_at": time.time(),
            "url": root,
            "log_levels": {"host": self.levels.host.value, "connectors": self.levels.connectors.value},
            "connectors": {
                name: {
                    "type": item.config.type,
                    "tenant_url": f"{root}/ecma2host_{name}/scim",
                    "target_check": item.verification.state(),
                }
                for name, item in self.runtime.connectors.items()
            },
            "invalid_connectors": {name: redact_text(error) for name, error in self.runtime.errors.items()},
            "recent_errors": self.runtime.recent_errors.snapshot(),
        }

    def write_state(self) -> None:
        self._errors_written = self.runtime.recent_errors.version
        write_state(self.home, self.state())
        self._written_at = time.monotonic()
