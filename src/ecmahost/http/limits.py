"""Limits that protect the host and its targets: failed token checks per client, concurrent requests per
connector, and the time one request may take. Each answers with the SCIM error a client can act on (429 or 503
with `Retry-After`); none of them holds state beyond counters in memory.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from ecmahost.deadlines import acquire_within
from ecmahost.errors import TooManyRequests


class FailedAuthLimiter:
    """After `max_failures` failed token checks from one client address within `window_seconds`, every token
    from that address that has not already verified is refused with 429 until the window has passed: brute force
    gets nowhere, and no more scrypt verifications are spent on it. A token that verified is never asked about
    (`http.auth.authenticate`), and a client that never fails is never counted."""

    def __init__(
        self,
        max_failures: int = 10,
        window_seconds: float = 60.0,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.max_failures = max_failures
        self.window = window_seconds
        self.max_clients = max_clients
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, client: str, now: float) -> deque[float] | None:
        times = self._failures.get(client)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[client]
            return None
        return times

    def retry_after(self, client: str) -> int | None:
        """Seconds until `client` may try again, or None when it is not blocked."""
        now = self.clock()
        times = self._recent(client, now)
        if times is None or len(times) < self.max_failures:
            return None
        return max(1, math.ceil(times[-self.max_failures] + self.window - now))

    def failed(self, client: str) -> None:
        now = self.clock()
        times = self._recent(client, now)
        if times is None:
            times = self._failures[client] = deque(maxlen=self.max_failures)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)
        times.append(now)


class ConcurrencyLimiter:
    """At most `limit` requests of one connector in flight; a request waits up to `wait_seconds` for a slot,
    then gets 429 with `Retry-After`, so a burst cannot exhaust the target's connections or the host's memory."""

    def __init__(self) -> None:
        self._slots: dict[tuple[str, int], asyncio.Semaphore] = {}

    def slot(self, connector: str, limit: int, wait_seconds: float) -> Slot:
        """`async with` one of the connector's `limit` slots."""
        key = (connector, limit)
        semaphore = self._slots.get(key)
        if semaphore is None:
            semaphore = self._slots[key] = asyncio.Semaphore(limit)
        return Slot(semaphore, connector, limit, wait_seconds)


class Slot:
    """One request's place among a connector's concurrent requests (a class rather than an `@asynccontextmanager`
    generator: every request takes one)."""

    __slots__ = ("_connector", "_limit", "_semaphore", "_wait_seconds")

    def __init__(self, semaphore: asyncio.Semaphore, connector: str, limit: int, wait_seconds: float) -> None:
        self._semaphore = semaphore
        self._connector = connector
        self._limit = limit
        self._wait_seconds = wait_seconds

    async def __aenter__(self) -> None:
        if not await acquire_within(self._semaphore, self._wait_seconds):
            raise TooManyRequests(
                f"connector {self._connector} already serves {self._limit} concurrent requests "
                "(limits.max_concurrent_requests); retry shortly",
                retry_after=1,
            )

    async def __aexit__(self, *exc: object) -> None:
        self._semaphore.release()
