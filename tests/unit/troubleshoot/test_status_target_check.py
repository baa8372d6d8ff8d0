"""`ecmahost status` shows what the running host found when it checked each connector against its target: which
object types it does not serve, and each problem with its key and fix."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from ecmahost.cli.main import app
from ecmahost.config.store import ConnectorStore
from ecmahost.demo import demo_connector
from ecmahost.home import Home
from ecmahost.observability.run_files import write_pid, write_state

PROBLEM = {
    "where": "object_types.Group.members.group_key",
    "problem": "no column set in table 'GroupMembers'",
    "fix": "set it to a column of GroupMembers: GroupGUID (-> Groups.GroupGUID)",
    "object_type": "Group",
}


def _connector(problems: list[dict[str, str]], not_served: list[str], unverified: str | None = None) -> dict:
    check = {"verified": unverified is None, "unverified_reason": unverified, "not_served": not_served}
    return {
        "type": "sql",
        "tenant_url": "https://localhost:9000/ecma2host_x/scim",
        "target_check": check | {"problems": problems},
    }


def test_status_lists_the_object_types_not_served_and_each_problem(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    home.ensure()
    for name in ("hr", "sales", "far"):
        ConnectorStore(home).save(demo_connector(name, f"sqlite:///{name}.db"))
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "ecmahost"])
    try:
        deadline = time.monotonic() + 10
        cmdline = Path(f"/proc/{sleeper.pid}/cmdline")
        while time.monotonic() < deadline and b"ecmahost" not in cmdline.read_bytes():
            time.sleep(0.01)
        write_pid(home, sleeper.pid)
        connectors = {
            "hr": _connector([PROBLEM], ["Groups"]),
            "sales": _connector([], []),
            "far": _connector([], [], unverified="cannot reach the database: Connection refused"),
        }
        write_state(home, {"url": "https://localhost:9000", "connectors": connectors, "recent_errors": {}})
        result = CliRunner().invoke(app, ["status", "--home", str(home.root)])
    finally:
        sleeper.kill()
        sleeper.wait()
    output = " ".join(result.output.split())
    assert "hr sql yes, but not Groups" in output
    assert "sales sql yes" in output
    assert (
        "hr: does not match its target: object_types.Group.members.group_key: no column set in table 'GroupMembers'; "
        "set it to a column of GroupMembers: GroupGUID (-> Groups.GroupGUID)" in output
    )
    assert "far: not checked against its target yet (cannot reach the database: Connection refused)" in output
