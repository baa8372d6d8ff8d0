"""A lean pool of asyncpg connections for the direct PostgreSQL path (`connectors.sql.direct`).

Why not `asyncpg.Pool`: measured on the request path, its acquire and release cost about 50 us of CPU per request
(a `wait_for` around every acquire, a proxy object, an inactivity timer set and cancelled on every checkout, and a
shielded task per release), twice what asyncpg spends on the query itself. This pool does only what the connector
needs: at most `size` connections, opened on demand, handed out most-recently-used first; a semaphore bounds the
checkouts, so waiting, fairness and cancellation are asyncio's own. It has no setup hooks, no statement-cache
sharing and no `max_queries`.

Invariant: connections in use plus idle connections never exceed `size` (a connection is only opened when none is
idle, and only by a holder of a checkout slot).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import asyncpg

from ecmahost.deadlines import acquire_within

Connect = Callable[[], Awaitable[asyncpg.Connection]]


class PoolExhausted(Exception):
    """No connection became free within the acquire timeout: every one of `size` is in use."""


class PoolClosed(Exception):
    """The pool was closed (the connector is stopping)."""


class ConnectionPool:
    """At most `size` asyncpg connections to one database. An idle connection unused for `idle_seconds` is
    closed, so a burst does not hold the database's connections for ever."""

    def __init__(self, connect: Connect, *, size: int, idle_seconds: float = 300.0) -> None:
        self._connect = connect
        self._size = size
        self._idle_seconds = idle_seconds
        self._slots = asyncio.Semaphore(size)
        self._idle: list[tuple[asyncpg.Connection, float]] = []
        """(connection, when it was released), oldest first: checkouts take from the end"""
        self._in_use: dict[asyncpg.Connection, int] = {}
        """connection -> the generation it was opened in (`expire` starts a new one)"""
        self._generation = 0
        self._sweep: asyncio.TimerHandle | None = None
        self._closed = False

    async def acquire(self, timeout: float) -> asyncpg.Connection:
        """An open connection; waits up to `timeout` seconds for a free one (`PoolExhausted`). Opening a new
        connection raises what `asyncpg.connect` raises (unreachable, refused, its own connect timeout)."""
        if self._closed:
            raise PoolClosed("the connection pool is closed")
        slots = self._slots
        if not await acquire_within(slots, timeout):
            raise PoolExhausted(f"all {self._size} connections stayed in use for {timeout:g} s")
        try:
            conn = self._take_idle()
            if conn is None:
                conn = await self._connect()
                if self._closed:
                    conn.terminate()
                    raise PoolClosed("the connection pool is closed")
            self._in_use[conn] = self._generation
            return conn
        except BaseException:
            slots.release()
            raise

    def _take_idle(self) -> asyncpg.Connection | None:
        idle = self._idle
        while idle:
            conn, _ = idle.pop()
            if not conn.is_closed():
                return conn
        return None

    def release(self, conn: asyncpg.Connection, *, reusable: bool = True) -> None:
        """Give `conn` back. Pass `reusable=False` when the checkout ended in anything but a clean answer from
        the server (a cancelled query, a lost connection, an error of ours mid-protocol): such a connection may be
        mid-operation, so it is closed rather than pooled, as is one still in a transaction, already closed, or
        older than the last `expire`. The next checkout opens a new one."""
        generation = self._in_use.pop(conn, None)
        if generation is None:  # released already (or never taken from this pool): its slot is not ours to free
            return
        try:
            if not reusable or generation != self._generation or self._closed or conn.is_in_transaction():
                conn.terminate()
            elif not conn.is_closed():
                self._idle.append((conn, time.monotonic()))
                if self._sweep is None:
                    self._sweep = asyncio.get_running_loop().call_later(self._idle_seconds, self._close_stale)
        finally:
            self._slots.release()

    def _close_stale(self) -> None:
        """Close the idle connections unused for `idle_seconds`; look again while some stay idle."""
        self._sweep = None
        cutoff = time.monotonic() - self._idle_seconds
        fresh = []
        for conn, released in self._idle:
            if released <= cutoff:
                conn.terminate()
            else:
                fresh.append((conn, released))
        self._idle = fresh
        if fresh and not self._closed:
            self._sweep = asyncio.get_running_loop().call_later(self._idle_seconds, self._close_stale)

    def expire(self) -> None:
        """After a lost connection: the others are likely dead too (a restarted server). The idle ones are
        closed now, the ones in use when they come back; each is replaced by a new one at its next checkout."""
        self._generation += 1
        idle, self._idle = self._idle, []
        for conn, _ in idle:
            conn.terminate()

    def size(self) -> int:
        """Open connections: in use plus idle."""
        return len(self._in_use) + len(self._idle)

    def idle_size(self) -> int:
        return len(self._idle)

    async def close(self, timeout: float = 5.0) -> None:
        """Close the idle connections politely (within `timeout` seconds); the ones still in use close when
        they come back."""
        self._closed = True
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        idle, self._idle = self._idle, []
        if not idle:
            return
        try:
            async with asyncio.timeout(timeout):
                await asyncio.gather(*(conn.close() for conn, _ in idle), return_exceptions=True)
        except TimeoutError:
            for conn, _ in idle:
                conn.terminate()
