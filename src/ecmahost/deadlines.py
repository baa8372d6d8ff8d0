"""Time budgets for the request path: nested without a timer each, and long ones on one shared timer.

A request runs under three budgets, one inside the other: the request (`limits.request_timeout_seconds`), the call
to the target (`limits.target_timeout_seconds`) and the connector's own (`statement_timeout_seconds`). Two things
keep them cheap (an `asyncio.timeout` costs about 5.7 us of CPU under uvloop, whose timers are libuv handles):

- Where an inner budget ends no sooner than the one around it (in the same task), its timer could never fire
  first, so none is set. With the defaults (55, 30 and 30 s) the connector's budget is always such a one.
- A budget of `COARSE_FROM` seconds or more is not given a timer of its own: it joins the loop's list of budgets
  in flight, which one repeating timer checks every `TICK` seconds while the list is not empty. It fires up to
  `TICK` late (at most 10% of its length), which no budget of several seconds needs to be more exact than.
  Shorter budgets keep an exact `asyncio.timeout`.

Either way a budget that runs out cancels its task and raises `TimeoutError` from its `async with`, exactly as
`asyncio.timeout` does (the same cancel/uncancel accounting, so nested budgets and other cancellations compose).
"""

from __future__ import annotations

import asyncio
import weakref
from contextvars import ContextVar, Token
from types import TracebackType

COARSE_FROM = 2.5
"""Budgets at least this long (seconds) share the loop's timer."""
TICK = 0.25
"""How often the shared timer looks at the budgets in flight (seconds): how late a long budget may fire."""

_enclosing: ContextVar[tuple[asyncio.Task[object] | None, float] | None] = ContextVar("ecmahost_deadline", default=None)
"""(task, loop time) of the innermost budget with a timer. Tasks inherit context variables, but a budget only
cancels its own task, so a budget counts as enclosing only within the task that set it."""


class _Sweeper:
    """One loop's long budgets in flight, and the repeating timer that expires them."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.budgets: dict[within, None] = {}
        """an ordered set: entering adds, leaving removes (no timer handle made or cancelled per request)"""
        self.handle: asyncio.TimerHandle | None = None

    def add(self, budget: within) -> None:
        self.budgets[budget] = None
        if self.handle is None:
            self.handle = self.loop.call_later(TICK, self.sweep)

    def sweep(self) -> None:
        self.handle = None
        now = self.loop.time()
        for budget in [b for b in self.budgets if b._when <= now]:
            del self.budgets[budget]
            budget._expire()
        if self.budgets:
            self.handle = self.loop.call_later(TICK, self.sweep)


_sweepers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Sweeper] = weakref.WeakKeyDictionary()


def _sweeper(loop: asyncio.AbstractEventLoop) -> _Sweeper:
    sweeper = _sweepers.get(loop)
    if sweeper is None:
        sweeper = _sweepers[loop] = _Sweeper(loop)
    return sweeper


class within:  # lower case: used like asyncio.timeout, `async with within(seconds):`
    """`asyncio.timeout(seconds)`, without a timer when an enclosing `within` of the same task ends no later, and
    on the loop's shared timer when `seconds >= COARSE_FROM`. Raises `TimeoutError` when its own budget runs
    out."""

    __slots__ = ("_cancelling", "_expired", "_seconds", "_sweeper", "_task", "_timeout", "_token", "_when")

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._timeout: asyncio.Timeout | None = None
        self._sweeper: _Sweeper | None = None
        self._token: Token[tuple[asyncio.Task[object] | None, float] | None] | None = None
        self._expired = False

    async def __aenter__(self) -> None:
        loop = asyncio.get_running_loop()
        when = self._when = loop.time() + self._seconds
        task = asyncio.current_task()
        enclosing = _enclosing.get()
        if enclosing is not None and enclosing[0] is task and enclosing[1] <= when:
            return
        self._token = _enclosing.set((task, when))
        if self._seconds < COARSE_FROM or task is None:
            self._timeout = asyncio.timeout_at(when)
            await self._timeout.__aenter__()
            return
        self._task = task
        self._cancelling = task.cancelling()
        self._sweeper = _sweeper(loop)
        self._sweeper.add(self)

    def _expire(self) -> None:
        self._expired = True
        self._task.cancel()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> bool | None:
        if self._token is None:
            return None
        _enclosing.reset(self._token)
        if self._timeout is not None:
            return await self._timeout.__aexit__(kind, exc, traceback)
        assert self._sweeper is not None
        self._sweeper.budgets.pop(self, None)
        if self._expired and self._task.uncancel() <= self._cancelling and kind is asyncio.CancelledError:
            raise TimeoutError from exc
        return None


async def acquire_within(semaphore: asyncio.Semaphore, seconds: float) -> bool:
    """Take `semaphore`, waiting at most `seconds`; False when it stayed taken that long. Only a wait arms a
    timer: an uncontended take (nearly every one) costs none."""
    if not semaphore.locked():
        await semaphore.acquire()
        return True
    try:
        async with asyncio.timeout(seconds):
            await semaphore.acquire()
    except TimeoutError:
        return False
    return True


class BudgetedCall:
    """`async with` one call under a `within(seconds)` budget, with what escapes it (its own timeout included, as
    a `TimeoutError`) translated by the subclass's `translate`: None lets the exception through as it is."""

    __slots__ = ("_budget", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._budget = within(seconds)

    async def __aenter__(self) -> None:
        await self._budget.__aenter__()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        try:
            await self._budget.__aexit__(kind, exc, traceback)
        except TimeoutError as expired:
            exc = expired
        if exc is not None:
            error = self.translate(exc)
            if error is not None:
                raise error from exc

    def translate(self, exc: BaseException) -> BaseException | None:
        raise NotImplementedError
