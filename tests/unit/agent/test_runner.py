"""`agent run`'s event loop: uvloop, as the host and the relay have under uvicorn."""

from __future__ import annotations

import asyncio
from pathlib import Path

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
