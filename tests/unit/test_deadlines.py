"""`deadlines.within`: asyncio.timeout's behaviour, without a timer where an enclosing budget of the same task
ends no later, and on the loop's shared timer for long budgets (`coarse` runs every test both ways)."""

from __future__ import annotations

import asyncio

import pytest

from ecmahost import deadlines
from ecmahost.deadlines import within

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True, params=["exact", "coarse"])
def coarse(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """`coarse`: every budget of these tests goes on the shared timer, ticking every 5 ms."""
    if request.param == "coarse":
        monkeypatch.setattr(deadlines, "COARSE_FROM", 0.0)
        monkeypatch.setattr(deadlines, "TICK", 0.005)
    return request.param == "coarse"


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
    assert inner._token is None  # no timer of its own, on neither path
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


async def test_a_cancellation_from_elsewhere_stays_a_cancellation() -> None:
    async def cancelled_by_someone_else() -> None:
        async with within(5):
            await asyncio.sleep(5)

    task = asyncio.create_task(cancelled_by_someone_else())
    await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_the_shared_timer_stops_when_no_budget_is_in_flight() -> None:
    async with within(5):  # on the shared timer either way
        await asyncio.sleep(0.02)
    sweeper = deadlines._sweeper(asyncio.get_running_loop())
    assert sweeper.budgets == {}
    await asyncio.sleep(deadlines.TICK * 2)  # its next tick finds nothing to watch and does not rearm
    assert sweeper.handle is None


async def test_only_budgets_shorter_than_coarse_from_get_a_timer_of_their_own(coarse: bool) -> None:
    short, long = within(1.0), within(60.0)
    async with short:
        short_has_timer = short._timeout is not None
    async with long:
        long_has_timer = long._timeout is not None
    assert (short_has_timer, long_has_timer) == (not coarse, False)


class _Translating(deadlines.BudgetedCall):
    __slots__ = ()

    def translate(self, exc: BaseException) -> BaseException | None:
        if isinstance(exc, TimeoutError):
            return LookupError("ran out")
        return RuntimeError(str(exc)) if isinstance(exc, ValueError) else None


async def test_a_budgeted_call_translates_its_timeout_and_what_its_subclass_knows() -> None:
    with pytest.raises(LookupError, match="ran out"):
        async with _Translating(0.01):
            await asyncio.sleep(5)
    with pytest.raises(RuntimeError, match="bad"):
        async with _Translating(5):
            raise ValueError("bad")
    with pytest.raises(KeyError):  # not known: through as it is
        async with _Translating(5):
            raise KeyError("k")
    async with _Translating(5):
        await asyncio.sleep(0)


async def test_acquire_within_takes_a_free_slot_waits_for_one_and_gives_up_after_its_time() -> None:
    semaphore = asyncio.Semaphore(1)
    assert await deadlines.acquire_within(semaphore, 0.05)
    assert not await deadlines.acquire_within(semaphore, 0.05)  # still taken: gives up
    asyncio.get_running_loop().call_later(0.02, semaphore.release)
    assert await deadlines.acquire_within(semaphore, 5)  # freed while it waited
    assert semaphore.locked()
