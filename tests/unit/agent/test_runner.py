"""`agent run`'s event loop: uvloop, as the host and the relay have under uvicorn."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import pytest
import uvloop

from ecmahost.agent import runner


def test_agent_run_serves_on_uvloop(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    loops: list[type] = []

    class Recorder:
        def __init__(self, home: Path) -> None:
            assert home == tmp_path

        async def run(self) -> None:
            loops.append(type(asyncio.get_running_loop()))

    monkeypatch.setattr(runner, "Agent", Recorder)
    runner.run_agent(tmp_path)
    assert loops == [uvloop.Loop]


def test_a_loop_without_signal_handlers_still_stops_the_agent_on_sigterm(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows' event loops raise NotImplementedError from add_signal_handler; the agent then takes the signal with a
    plain handler and still begins its drain."""
    installed: dict[int, Any] = {}
    monkeypatch.setattr(signal, "signal", lambda sig, handler: installed.__setitem__(sig, handler))

    class NoSignalsLoop(asyncio.SelectorEventLoop):
        def add_signal_handler(self, sig: int, callback: Any, *args: Any) -> None:
            raise NotImplementedError

    agent = runner.Agent.__new__(runner.Agent)
    agent.stopping = asyncio.Event()

    async def serve() -> None:
        installed[signal.SIGTERM]()  # as the interpreter would on SIGTERM
        await asyncio.wait_for(agent.stopping.wait(), 5)

    agent.serve = serve  # type: ignore[method-assign]
    with asyncio.Runner(loop_factory=NoSignalsLoop) as loop_runner:
        loop_runner.run(agent.run())
    assert agent.stopping.is_set()
    assert set(installed) == {signal.SIGTERM, signal.SIGINT}
