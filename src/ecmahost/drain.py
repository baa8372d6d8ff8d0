"""The lame-duck drain before a stop (`shutdown_drain_seconds` in `host.yaml`): on the first SIGTERM or SIGINT the
host keeps serving for that many seconds while `/health` answers 503 and every response says `Connection: close`,
so a load balancer takes it out of rotation and clients reopen their connections elsewhere; only then does the
graceful stop begin (stop accepting, finish what is in flight, lifespan shutdown). A later stop signal ends the
drain at once. With no drain (0, the default) the first signal stops the host as before.

`Drain` is the policy only, driven by the server adapter (`server.py`): `signal()` from the signal handler (sets
two attributes, nothing else: no logging, no loop call, so it is safe wherever the signal lands), `tick()` from the
server's periodic check (logs what changed, says when to stop). What draining means to a request is the app's:
`HostApp.draining`, one attribute the request path checks. This module imports nothing of the app.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

logger = logging.getLogger(__name__)

REPEAT_SECONDS = 1.0
"""A stop signal this soon after the first is the same stop delivered twice, not a second one: systemd's default
`KillMode=control-group` sends SIGTERM to every process of the unit, so each worker of `--workers N` gets it from
systemd and from the supervisor at once (Ctrl+C in a terminal likewise reaches every process of the group)."""


class Drainable(Protocol):
    draining: bool


class Drain:
    """One host process's lame-duck drain of `seconds` over `app` (whose `draining` it sets)."""

    def __init__(self, seconds: float, app: Drainable) -> None:
        self.seconds = seconds
        self.app = app
        self.started: float | None = None
        self.skipped = False
        self._logged = False

    def signal(self, now: float | None = None) -> bool:
        """A stop signal arrived: True when the server should stop now (no drain, or a second signal during it),
        False while it drains. Called from a signal handler: sets attributes only."""
        now = time.monotonic() if now is None else now
        if self.seconds <= 0 or self.skipped:
            return True
        if self.started is None:
            self.started = now
            self.app.draining = True
            return False
        if now - self.started < REPEAT_SECONDS:
            return False
        self.skipped = True
        return True

    def tick(self, now: float | None = None) -> bool:
        """The server's periodic check: True once the drain is over (or skipped), so the graceful stop begins."""
        if self.started is None:
            return False
        now = time.monotonic() if now is None else now
        if not self._logged:
            self._logged = True
            logger.warning(
                "stop requested: draining for %g s (/health answers 503, responses close their connections); "
                "send the signal again to stop at once",
                self.seconds,
            )
        if self.skipped:
            logger.warning("a second stop signal: the drain ends after %.1f s", now - self.started)
            return True
        if now - self.started >= self.seconds:
            logger.info("drained for %g s; stopping", self.seconds)
            return True
        return False
