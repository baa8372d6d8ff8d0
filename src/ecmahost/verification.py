"""Whether a served connector's file matches its target, and what its requests get when it does not.

Each connector is checked once with `Connector.verify` (tables, columns, keys, object classes, files): at the
host's start and after a reload, in the background, so a target that is slow to answer delays nobody else. An
object type with a problem is not served: its requests answer 503 with a SCIM error naming each problem and its
fix, while the connector's other object types (and the other connectors) keep working. A problem of the whole
connector (its connection, a file every object type shares) stops all its requests but discovery.

When the target cannot be reached the connector is not yet verified: its next request that reaches the target
verifies it first (a request would fail on a down target anyway), so a target that comes back is checked before
it is used. A refused request checks again once the last check is `RECHECK_SECONDS` old, so fixing the target
instead of the file (adding the column) is noticed too. Once verified clean, a request pays one attribute test
(`clear`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from ecmahost import errors
from ecmahost.connectors.base import Connector, TargetProblem
from ecmahost.connectors.errors import ConnectorError, TargetUnavailable
from ecmahost.deadlines import within

logger = logging.getLogger(__name__)

RETRY_AFTER = 60
"""seconds a client is told to wait when an object type is not served (a file is fixed and reloaded in seconds)"""
RECHECK_SECONDS = 60.0
"""a refused request checks the target again when the last check is older than this: the target may have been
fixed instead of the file (a column added, an entry created)"""
RESOURCES = {"User": "Users", "Group": "Groups"}


class TargetVerification:
    """One connector's verification: run once (`settle`), then consulted per request (`admit`)."""

    def __init__(self, connector: Connector, timeout_seconds: float) -> None:
        self.connector = connector
        self.timeout_seconds = timeout_seconds
        self.clear = False
        """verified and nothing found: requests pass without looking further"""
        self.settled = False
        self.problems: list[TargetProblem] = []
        self.unverified: str | None = "not verified yet"
        """why the connector is not verified yet (its target could not be reached), None once it is"""
        self.blocked: dict[str | None, str] = {}
        """object type (None: the whole connector) -> the SCIM error detail its requests get"""
        self.checked_at = 0.0
        self._lock: asyncio.Lock | None = None

    async def settle(self) -> None:
        """Verify the connector unless done; raise `TargetUnavailable` (a connector error) if its target is down."""
        if self.settled:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self.settled:
                self._record(await self._verify())

    async def settle_quietly(self) -> None:
        """`settle` for a background task: a target that is down is logged, not raised."""
        try:
            await self.settle()
        except TargetUnavailable as exc:
            self.unverified = exc.detail
            logger.warning(
                "connector %s could not be verified against its target (%s); it is verified at its next request",
                self.connector.name,
                exc.detail,
            )

    async def admit(self, object_type: str | None) -> None:
        """Raise the SCIM error a request of `object_type` (None: discovery) gets, if any. A request for an
        object type verifies the connector first if that is not done yet."""
        if object_type is not None and not self.settled:
            try:
                await self.settle()
            except TargetUnavailable as exc:
                raise errors.TargetUnavailable(exc.detail, retry_after=exc.retry_after) from exc
        detail = self._refusal(object_type)
        if detail is not None and time.monotonic() - self.checked_at >= RECHECK_SECONDS:
            await self._recheck()
            detail = self._refusal(object_type)
        if detail is not None:
            raise errors.TargetUnavailable(detail, retry_after=RETRY_AFTER)

    def _refusal(self, object_type: str | None) -> str | None:
        return self.blocked.get(None) or (self.blocked.get(object_type) if object_type is not None else None)

    async def _recheck(self) -> None:
        """Check again (once, whoever asks first); the previous verdict stands while the target is down."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if time.monotonic() - self.checked_at < RECHECK_SECONDS:
                return  # another request just did
            try:
                self._record(await self._verify())
            except TargetUnavailable:
                self.checked_at = time.monotonic()

    async def _verify(self) -> list[TargetProblem]:
        try:
            async with within(self.timeout_seconds):
                return await self.connector.verify()
        except TimeoutError:
            raise TargetUnavailable(f"the target did not answer within {self.timeout_seconds:g} s") from None
        except TargetUnavailable:
            raise
        except ConnectorError as exc:  # the target answered, but not what the file expects
            return [TargetProblem("connection", exc.detail, "check the connector file against the target")]
        except Exception:  # a bug in a check must not stop a connector that may well work
            logger.exception("verifying connector %s failed; it is served unverified", self.connector.name)
            return []

    def _record(self, problems: list[TargetProblem]) -> None:
        name = self.connector.name
        unchanged = self.settled and problems == self.problems
        self.problems, self.unverified, self.settled = problems, None, True
        self.checked_at = time.monotonic()
        if unchanged:  # a recheck that found the same: said already
            return
        by_type: dict[str | None, list[TargetProblem]] = {}
        for problem in problems:
            by_type.setdefault(problem.object_type, []).append(problem)
            logger.error("connector %s: %s", name, problem.render())
        self.blocked = {kind: _detail(name, kind, found) for kind, found in by_type.items()}
        self.clear = not self.blocked
        for kind in self.blocked:
            what = "is not served" if kind is None else f"does not serve /{RESOURCES.get(kind, kind)}"
            logger.error("connector %s %s until its file matches the target (see the problems above)", name, what)
        if self.clear:
            logger.info("connector %s matches its target", name)

    def state(self) -> dict[str, Any]:
        """For `run/state.json` (`ecmahost status`)."""
        return {
            "verified": self.settled,
            "unverified_reason": self.unverified,
            "not_served": sorted(RESOURCES.get(k, k) if k else "all" for k in self.blocked),
            "problems": [
                {"where": p.where, "problem": p.problem, "fix": p.fix, "object_type": p.object_type}
                for p in self.problems
            ],
        }


def _detail(name: str, object_type: str | None, problems: list[TargetProblem]) -> str:
    what = f"connector {name!r}" if object_type is None else f"/{RESOURCES.get(object_type, object_type)} of {name!r}"
    listed = " | ".join(problem.render() for problem in problems)
    return (
        f"{what} is not served: its connector file does not match the target: {listed}. Fix the file "
        f"(`ecmahost connector edit {name}`); the host applies it without a restart"
    )
