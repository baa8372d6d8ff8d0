"""`ecmahost status`: running or not from the pid file, connectors from the files, problems named."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from ecmahost.config.store import ConnectorStore
from ecmahost.demo import demo_connector
from ecmahost.home import Home
from ecmahost.observability.run_files import write_pid, write_state
from ecmahost.troubleshoot.status import host_status


def _home(tmp_path: Path) -> Home:
    where = Home(tmp_path / "home")
    where.ensure()
    ConnectorStore(where).save(demo_connector("hr", "sqlite:///hr.db"))
    (where.connectors_dir / "broken.yaml").write_text("name: broken\ntype: sql\n")
    return where


def test_a_home_without_a_pid_file_is_not_running(tmp_path) -> None:
    status = host_status(_home(tmp_path))
    assert status.running is False
    assert status.url == "https://localhost:8585"
    by_name = {item.name: item for item in status.connectors}
    assert by_name["hr"].tenant_url == "https://localhost:8585/ecma2host_hr/scim"
    assert by_name["broken"].problem
    assert "ecmahost cert generate" in (status.certificate.problem or "")


def test_a_stale_pid_file_means_not_running(tmp_path) -> None:
    home = _home(tmp_path)
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    write_pid(home, int(finished.stdout))
    assert host_status(home).running is False


def _wait_until_exec(pid: int) -> None:
    """Between fork and exec, /proc shows the parent's command line (pytest's), not the child's."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and cmdline.exists() and b"ecmahost" not in cmdline.read_bytes():
        time.sleep(0.01)


def test_a_running_host_reports_what_its_state_file_says(tmp_path) -> None:
    home = _home(tmp_path)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "ecmahost"])
    try:
        _wait_until_exec(sleeper.pid)
        write_pid(home, sleeper.pid)
        write_state(
            home,
            {
                "url": "https://localhost:9000",
                "started_at": "2025-01-01T00:00:00+00:00",
                "log_levels": {"host": "Verbose", "connectors": "Error"},
                "connectors": {"hr": {"type": "sql", "tenant_url": "https://localhost:9000/ecma2host_hr/scim"}},
                "recent_errors": {"hr": [{"at": 1.0, "status": 503, "detail": "down", "request_id": "r"}]},
            },
        )
        status = host_status(home)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert status.running is True
    assert status.pid == sleeper.pid != os.getpid()
    assert status.log_levels["host"] == "Verbose"
    hr = next(item for item in status.connectors if item.name == "hr")
    assert hr.served is True
    assert hr.recent_errors[0]["status"] == 503
