"""`ecmahost serve --workers N` forks its workers from a supervisor that loaded the app (`server._preload`,
`server.forked_workers`). uvicorn has no option for it: these tests pin the part of uvicorn's supervisor that the
host relies on, so that an upgrade which changes it fails here rather than silently spawning again."""

from __future__ import annotations

import json
import subprocess
import sys
from multiprocessing.context import ForkProcess
from pathlib import Path

import pytest
import uvicorn
from uvicorn._subprocess import get_subprocess
from uvicorn.supervisors import multiprocess

from ecmahost import server
from ecmahost.config.store import ConnectorStore
from ecmahost.demo import demo_connector
from ecmahost.home import Home
from ecmahost.observability.log_setup import LoggingSetup


def test_uvicorns_worker_process_comes_from_get_subprocess_and_runs_subprocess_started() -> None:
    """`_uvicorn_can_fork` checks the signatures the fork relies on; on this (Linux) machine they must hold."""
    assert multiprocess.get_subprocess is get_subprocess
    assert server._uvicorn_can_fork()


def test_a_uvicorn_that_builds_workers_otherwise_gets_them_spawned_not_a_failed_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(multiprocess, "get_subprocess")
    assert not server._uvicorn_can_fork()
    with server.forked_workers(LoggingSetup()):  # leaves uvicorn as it is
        assert not hasattr(multiprocess, "get_subprocess")


def test_inside_forked_workers_uvicorns_supervisor_forks_its_workers_and_spawns_again_after() -> None:
    config = uvicorn.Config("ecmahost.worker:worker_app", factory=True)
    with server.forked_workers(LoggingSetup()):
        worker = multiprocess.Process(config, sockets=[])  # not started
        try:
            assert isinstance(worker.process, ForkProcess)
            assert worker.process._target is server._forked_worker  # type: ignore[attr-defined]
        finally:
            worker.parent_conn.close()
            worker.child_conn.close()
    assert multiprocess.get_subprocess is get_subprocess


def _after_preload(home: Path) -> dict[str, object]:
    """What a fresh interpreter holds after `worker.preload(home)`: the modules loaded and the threads."""
    code = (
        "import json, sys, threading\n"
        "from pathlib import Path\n"
        "from ecmahost.home import Home\n"
        "from ecmahost.worker import preload\n"
        f"preload(Home(Path({str(home)!r})))\n"
        "print(json.dumps({'modules': sorted(sys.modules), 'threads': threading.active_count()}))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


def test_preload_imports_the_configured_connector_types_and_opens_nothing(tmp_path: Path) -> None:
    home = Home(tmp_path)
    store = ConnectorStore(home)
    store.save(demo_connector("demo", "sqlite:///demo.db"))
    home.connector_file("broken").write_text("type: [sql\n", encoding="utf-8")  # left to the workers to report
    loaded = _after_preload(tmp_path)
    modules = loaded["modules"]
    assert isinstance(modules, list)
    assert "ecmahost.connectors.sql" in modules
    assert "ecmahost.http.app" in modules
    assert "ldap3" not in modules  # only the types the files name
    assert loaded["threads"] == 1
    assert not (tmp_path / "demo.db").exists()  # no connection was opened


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_workers_are_spawned_off_linux(monkeypatch: pytest.MonkeyPatch, platform: str) -> None:
    """Windows has no fork, and macOS frameworks are not safe across one (Python spawns there by default)."""
    monkeypatch.setattr(server.sys, "platform", platform)
    assert not server._uvicorn_can_fork()
    with server.forked_workers(LoggingSetup()):
        assert multiprocess.get_subprocess is get_subprocess
