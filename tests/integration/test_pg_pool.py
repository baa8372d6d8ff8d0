"""The direct path's connection pool (`connectors.sql.pg_pool`) on a real PostgreSQL: it never opens more than its
size, reuses the last released connection, gives up with `PoolExhausted` when every connection stays busy, never
pools a connection that may be mid-operation (a cancelled query, one left in a transaction), replaces every
connection after `expire`, closes the ones left idle, and refuses checkouts once closed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from ecmahost.connectors.sql.pg_pool import ConnectionPool, PoolClosed, PoolExhausted

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


@pytest.fixture
def dsn(postgres_url: str) -> str:
    return make_url(postgres_url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
async def pool(dsn: str) -> AsyncIterator[ConnectionPool]:
    opened = ConnectionPool(lambda: asyncpg.connect(dsn), size=2)
    yield opened
    await opened.close()


async def _backend(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT pg_backend_pid()"))


async def test_the_last_released_connection_is_handed_out_again(pool: ConnectionPool) -> None:
    first = await pool.acquire(1)
    pid = await _backend(first)
    pool.release(first)
    again = await pool.acquire(1)
    assert await _backend(again) == pid
    pool.release(again)
    assert (pool.size(), pool.idle_size()) == (1, 1)


async def test_it_opens_at_most_its_size_and_a_third_checkout_gives_up(pool: ConnectionPool) -> None:
    held = [await pool.acquire(1), await pool.acquire(1)]
    assert len({await _backend(conn) for conn in held}) == 2
    with pytest.raises(PoolExhausted, match=r"all 2 connections stayed in use for 0\.2 s"):
        await pool.acquire(0.2)
    assert pool.size() == 2
    waiting = asyncio.create_task(pool.acquire(5))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    pool.release(held[0])
    assert await waiting is held[0]  # the waiter gets the released connection, no third one is opened
    assert pool.size() == 2
    for conn in (held[1], waiting.result()):
        pool.release(conn)


async def test_a_cancelled_wait_gives_its_turn_back(pool: ConnectionPool) -> None:
    held = [await pool.acquire(1), await pool.acquire(1)]
    waiting = asyncio.create_task(pool.acquire(5))
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    for conn in held:
        pool.release(conn)
    again = [await pool.acquire(0.5), await pool.acquire(0.5)]  # both slots are free again
    for conn in again:
        pool.release(conn)


async def test_a_connection_cancelled_mid_query_is_closed_not_pooled(pool: ConnectionPool) -> None:
    conn = await pool.acquire(1)
    pid = await _backend(conn)
    query = asyncio.create_task(conn.fetchval("SELECT pg_sleep(5)"))
    await asyncio.sleep(0.1)
    query.cancel()
    with pytest.raises(asyncio.CancelledError):
        await query
    pool.release(conn, reusable=False)
    assert conn.is_closed()
    fresh = await pool.acquire(1)
    assert await _backend(fresh) != pid
    assert await fresh.fetchval("SELECT 1") == 1
    pool.release(fresh)


async def test_a_connection_left_in_a_transaction_is_not_pooled(pool: ConnectionPool) -> None:
    conn = await pool.acquire(1)
    await conn.execute("BEGIN")
    pool.release(conn)
    assert conn.is_closed()
    assert (pool.size(), pool.idle_size()) == (0, 0)


async def test_after_expire_every_connection_is_replaced(pool: ConnectionPool) -> None:
    idle, busy = await pool.acquire(1), await pool.acquire(1)
    pids = {await _backend(idle), await _backend(busy)}
    pool.release(idle)
    pool.expire()
    assert idle.is_closed()
    pool.release(busy)
    assert busy.is_closed()
    fresh = await pool.acquire(1)
    assert await _backend(fresh) not in pids
    pool.release(fresh)


async def test_connections_left_idle_are_closed(dsn: str) -> None:
    pool = ConnectionPool(lambda: asyncpg.connect(dsn), size=2, idle_seconds=0.1)
    try:
        conn = await pool.acquire(1)
        pool.release(conn)
        assert pool.idle_size() == 1
        await asyncio.sleep(0.3)
        assert conn.is_closed()
        assert pool.size() == 0
        again = await pool.acquire(1)
        assert await again.fetchval("SELECT 1") == 1
        pool.release(again)
    finally:
        await pool.close()


async def test_a_closed_pool_refuses_checkouts_and_closes_what_comes_back(pool: ConnectionPool) -> None:
    idle, busy = await pool.acquire(1), await pool.acquire(1)
    pool.release(idle)
    await pool.close()
    assert idle.is_closed()
    with pytest.raises(PoolClosed):
        await pool.acquire(1)
    pool.release(busy)
    assert busy.is_closed()


async def test_a_failed_connect_gives_the_slot_back(dsn: str) -> None:
    attempts = 0

    async def flaky() -> asyncpg.Connection:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise ConnectionRefusedError("refused")
        return await asyncpg.connect(dsn)

    pool = ConnectionPool(flaky, size=1)
    try:
        with pytest.raises(ConnectionRefusedError):
            await pool.acquire(0.2)
        conn = await pool.acquire(0.2)  # the one slot was given back
        assert await conn.fetchval("SELECT 1") == 1
        pool.release(conn)
    finally:
        await pool.close()


async def test_releasing_twice_frees_one_slot_only(pool: ConnectionPool) -> None:
    conn = await pool.acquire(1)
    pool.release(conn)
    pool.release(conn)  # a second release must not let a third checkout past the size of 2
    held = [await pool.acquire(1), await pool.acquire(1)]
    with pytest.raises(PoolExhausted):
        await pool.acquire(0.1)
    for other in held:
        pool.release(other)
