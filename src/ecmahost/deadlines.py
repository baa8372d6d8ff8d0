"""Nested time budgets with no timer where an enclosing budget ends sooner.

A request runs under three budgets, one inside the other: the request (`limits.request_timeout_seconds`), the call
to the target (`limits.target_timeout_seconds`) and the connector's own (`statement_timeout_seconds`). Where an
inner budget ends no sooner than the one around it, its timer can never fire first, so `within` does not set it:
each `asyncio.timeout` costs about 5 us of CPU, and with the defaults (55, 30 and 30 s) the connector's budget is
always the later one.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar, Token
from types import TracebackType

_enclosing: ContextVar[tuple[asyncio.Task[object] | None, float] | None] = ContextVar("ecmahost_deadline", default=None)
"""(task, loop time) of the innermost budget with a timer. Tasks inherit context variables, but a budget only
cancels its own task, so a budget counts as enclosing only within the task that set it."""


class within:  # lower case: used like asyncio.timeout, `async with within(seconds):`
    """`asyncio.timeout(seconds)`, except that no timer is set when an enclosing `within` of the same task ends
    no later. Raises `TimeoutError` when its own budget runs out, exactly as `asyncio.timeout` does."""

    __slots__ = ("_seconds", "_timeout", "_token")

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._timeout: asyncio.Timeout | None = None
        self._token: Token[tuple[asyncio.Task[object] | None, float] | None] | None = None

    async def __aenter__(self) -> None:
        when = asyncio.get_running_loop().time() + self._seconds
        task = asyncio.current_task()
        enclosing = _enclosing.get()
        if enclosing is not None and enclosing[0] is task and enclosing[1] <= when:
            return
        self._token = _enclosing.set((task, when))
        self._timeout = asyncio.timeout_at(when)
        await self._timeout.__aenter__()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> bool | None:
        if self._timeout is None:
            return None
        assert self._token is not None
        _enclosing.reset(self._token)
        return await self._timeout.__aexit__(kind, exc, traceback)
