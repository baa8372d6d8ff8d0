"""`ecmahost serve --workers N`: the supervisor forks its workers from a process that loaded the app
(`server.preload`), replaces a worker that dies, replaces each on SIGHUP, stops them all on SIGTERM, and stops
itself when a worker cannot start. Only public APIs of the HTTP server are used to get there."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import ecmahost
from ecmahost.config.store import ConnectorStore
from ecmahost.demo import demo_connector
from ecmahost.home import Home

WORKER = """
import os, signal, sys
from pathlib import Path
from ecmahost.supervisor import Supervisor

folder = Path(sys.argv[1])
fail = len(sys.argv) > 2

def work():
    if fail:
        sys.exit(3)
    (folder / str(os.getpid())).write_text("")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()

Supervisor(2, work, startup_failure=3).run()
"""


def _wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "\nState:\tZ" not in status.read_text()


def _live_workers(folder: Path) -> set[int]:
    return {int(path.name) for path in folder.iterdir() if _alive(int(path.name))}


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    folder = tmp_path / "workers"
    folder.mkdir()
    process = subprocess.Popen([sys.executable, "-c", WORKER, str(folder)])
    _wait_for(lambda: len(_live_workers(folder)) == 2)
    yield process, folder
    if process.poll() is None:
        process.kill()
        process.wait()
    for pid in _live_workers(folder):
        os.kill(pid, signal.SIGKILL)


def test_a_worker_that_dies_is_replaced(supervised: tuple[subprocess.Popen[bytes], Path]) -> None:
    _, folder = supervised
    killed = min(_live_workers(folder))
    os.kill(killed, signal.SIGKILL)
    _wait_for(lambda: killed not in _live_workers(folder) and len(_live_workers(folder)) == 2)


def test_sighup_replaces_every_worker(supervised: tuple[subprocess.Popen[bytes], Path]) -> None:
    process, folder = supervised
    before = _live_workers(folder)
    process.send_signal(signal.SIGHUP)
    _wait_for(lambda: len(_live_workers(folder)) == 2 and not _live_workers(folder) & before)
    assert process.poll() is None


def test_sigterm_stops_every_worker_and_the_supervisor(supervised: tuple[subprocess.Popen[bytes], Path]) -> None:
    process, folder = supervised
    workers = _live_workers(folder)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    assert not any(_alive(pid) for pid in workers)


def test_a_worker_that_cannot_start_stops_the_supervisor(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-c", WORKER, str(tmp_path), "fail"], timeout=20, check=False)
    assert run.returncode == 0


def test_the_host_uses_no_private_module_of_uvicorn() -> None:
    source = Path(ecmahost.__file__).parent
    offending = [
        str(path.relative_to(source))
        for path in source.rglob("*.py")
        if "uvicorn._" in path.read_text(encoding="utf-8") or "get_subprocess" in path.read_text(encoding="utf-8")
    ]
    assert offending == []


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
    (home.connectors_dir / "broken.yaml").write_text("type: [sql\n", encoding="utf-8")  # left to the workers to report
    loaded = _after_preload(tmp_path)
    modules = loaded["modules"]
    assert isinstance(modules, list)
    assert "ecmahost.connectors.sql" in modules
    assert "ecmahost.http.app" in modules
    assert "ldap3" not in modules  # only the types the files name
    assert loaded["threads"] == 1
    assert not (tmp_path / "demo.db").exists()  # no connection was opened
