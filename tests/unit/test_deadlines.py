"""`deadlines.within`: asyncio.timeout's behaviour, without a timer where an enclosing budget of the same task
ends no later."""

from __future__ import annotations

import asyncio

import pytest

from ecmahost import deadlines
from ecmahost.deadlines import within

pytestmark = pytest.mark.anyio


async def test_a_budget_that_runs_out_raises_timeout_error() -> None:
    with pytest.raises(TimeoutError):
        async with within(0.01):
            await asyncio.sleep(5)


async def test_a_body_that_finishes_in_time_is_untouched() -> None:
    async with within(5):
        await asyncio.sleep(0)
    assert deadlines._enclosing.get() is None


async def test_a_shorter_inner_budget_fires_inside_the_outer_one() -> None:
    caught = None
    async with within(5):
        try:
            async with within(0.01):
                await asyncio.sleep(5)
        except TimeoutError:
            caught = "inner"
        await asyncio.sleep(0)
    assert caught == "inner"


async def test_a_longer_inner_budget_sets_no_timer_and_the_outer_one_fires() -> None:
    inner = within(5)
    seen: list[type[BaseException]] = []

    async def nested() -> None:
        async with within(0.01):
            try:
                async with inner:
                    await asyncio.sleep(5)
            except BaseException as exc:
                seen.append(type(exc))
                raise

    with pytest.raises(TimeoutError):
        await nested()
    assert inner._timeout is None
    assert seen == [asyncio.CancelledError]  # as with nested asyncio.timeout: the inner one sees the cancellation


async def test_leaving_a_budget_restores_the_enclosing_one() -> None:
    async with within(5):
        outer = deadlines._enclosing.get()
        async with within(0.5):
            assert deadlines._enclosing.get() != outer
        assert deadlines._enclosing.get() == outer
    assert deadlines._enclosing.get() is None


async def test_a_task_started_inside_a_budget_keeps_its_own_budget() -> None:
    """A child task inherits the context variable but not the parent's timer: its own budget must be set."""
    started: list[asyncio.Task[str]] = []

    async def child() -> str:
        async with within(0.05):
            await asyncio.sleep(5)
        return "slept through"

    async def parent() -> None:
        async with within(0.01):
            started.append(asyncio.create_task(child()))
            await asyncio.shield(started[0])

    with pytest.raises(TimeoutError):
        await parent()
    with pytest.raises(TimeoutError):
        await started[0]
