"""What the running host publishes about itself, and its live log levels.

`RunFiles` writes `run/host.pid` when the host starts, rewrites `run/state.json` when an error is recorded, the
levels change, or every `state_every` seconds, and removes both when it stops (`ecmahost status` reads them).
`follow_levels` applies the levels saved in `host.yaml` by `ecmahost log-level`: the host's housekeeping task
(`ecmahost.host`) calls it when a `watch.Watcher` sees the file change. No port to open or protect, nothing to
authenticate, and it works for a host started by systemd as well as in a terminal. A `host.yaml` that no longer
validates is reported once and the current levels stay. Neither starts a task of its own.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from ecmahost import __version__
from ecmahost.config.errors import ConfigError
from ecmahost.home import Home
from ecmahost.observability.log_setup import apply_levels
from ecmahost.observability.recent_errors import RecentErrors
from ecmahost.observability.redaction import redact_text
from ecmahost.observability.run_files import remove_run_files, write_pid, write_state
from ecmahost.settings import LogLevels, load_settings

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


def follow_levels(home: Home, current: LogLevels) -> LogLevels:
    """The levels `host.yaml` now sets, applied when they differ from `current`; `current` when the file is
    invalid or sets the same."""
    try:
        levels = load_settings(home).log_levels
    except ConfigError as exc:
        logger.error("host.yaml changed but is invalid; log levels stay as they were:\n%s", exc)
        return current
    if levels != current:
        apply_levels(levels)
        logger.warning("log levels are now host=%s, connectors=%s", levels.host.value, levels.connectors.value)
    return levels


class ServedRuntime(Protocol):
    """What the run files report of the host's runtime (`runtime.HostRuntime`), named here so observability does
    not import the runtime that imports it."""

    @property
    def connectors(self) -> Mapping[str, Any]: ...
    @property
    def errors(self) -> Mapping[str, str]: ...
    @property
    def recent_errors(self) -> RecentErrors: ...


class RunFiles:
    """`run/host.pid` and `run/state.json` of the process that serves (`pid`: the supervisor's with workers)."""

    def __init__(
        self,
        home: Home,
        runtime: ServedRuntime,
        levels: LogLevels,
        served_at: ServedAt,
        *,
        pid: int | None = None,
        state_every: float = 5.0,
    ) -> None:
        self.home = home
        self.runtime = runtime
        self.levels = levels
        self.served_at = served_at
        self.pid = pid or os.getpid()
        self.state_every = state_every
        self.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self._written_at = 0.0
        self._errors_written = -1

    def start(self) -> None:
        write_pid(self.home, self.pid)
        self.write_state()

    def stop(self) -> None:
        remove_run_files(self.home)

    def refresh(self, levels: LogLevels) -> None:
        """One housekeeping pass: rewrite the state if the levels changed, an error was recorded, or it is due."""
        changed, self.levels = levels != self.levels, levels
        due = time.monotonic() - self._written_at >= self.state_every
        if changed or due or self.runtime.recent_errors.version != self._errors_written:
            self.write_state()

    def state(self) -> dict[str, Any]:
        root = self.served_at.root
        return {
            "pid": self.pid,
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
