"""The host's protective limits as pure logic: failed token checks per client, concurrent requests per
connector."""

from __future__ import annotations

import asyncio

import pytest

from ecmahost.errors import TooManyRequests
from ecmahost.http.limits import ConcurrencyLimiter, FailedAuthLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_is_blocked_after_max_failures_until_the_window_passes() -> None:
    clock = Clock()
    limiter = FailedAuthLimiter(max_failures=3, window_seconds=60, clock=clock)
    for _ in range(2):
        limiter.failed("10.0.0.1")
        assert limiter.retry_after("10.0.0.1") is None
    limiter.failed("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") == 60
    assert limiter.retry_after("10.0.0.2") is None, "other clients are not affected"
    clock.now += 59.5
    assert limiter.retry_after("10.0.0.1") == 1
    clock.now += 1
    assert limiter.retry_after("10.0.0.1") is None


def test_old_failures_slide_out_of_the_window() -> None:
    clock = Clock()
    limiter = FailedAuthLimiter(max_failures=2, window_seconds=10, clock=clock)
    limiter.failed("c")
    clock.now += 11
    limiter.failed("c")
    assert limiter.retry_after("c") is None


def test_the_number_of_tracked_clients_is_bounded() -> None:
    limiter = FailedAuthLimiter(max_failures=1, window_seconds=60, max_clients=100, clock=Clock())
    for index in range(1000):
        limiter.failed(f"client-{index}")
    assert limiter.retry_after("client-999") is not None
    assert limiter.retry_after("client-0") is None, "the oldest clients were forgotten"


@pytest.mark.anyio
async def test_requests_beyond_the_concurrency_limit_wait_then_get_429() -> None:
    limiter = ConcurrencyLimiter()
    entered = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with limiter.slot("hr", 1, 1.0):
            entered.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await entered.wait()
    with pytest.raises(TooManyRequests) as refused:
        async with limiter.slot("hr", 1, 0.05):
            pass
    assert refused.value.retry_after == 1
    async with limiter.slot("other", 1, 0.05):
        pass  # another connector has its own slots
    waiter = asyncio.create_task(_enter(limiter))
    release.set()
    await holder
    assert await waiter, "a waiting request gets the slot once it is free"


async def _enter(limiter: ConcurrencyLimiter) -> bool:
    async with limiter.slot("hr", 1, 2.0):
        return True
