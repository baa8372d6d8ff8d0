"""The running host's files in `<home>/run/`: `host.pid` (its process id) and `state.json` (what it serves, its
log levels and its connectors' recent errors, rewritten every few seconds), and, with several workers, `metrics/`
(the workers' shared Prometheus values, emptied by the supervisor at each start; see `observability.metrics`).

Written by the host (`monitor.RunFiles`), read by `ecmahost status`, `log-level` and
`collect-troubleshooting-info`. A pid file whose process is gone means the host stopped without cleaning up (a
crash or `kill -9`): readers treat it as "not running". The state holds no secret.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from ecmahost.home import Home, write_private

RUN_DIR = "run"
PID_FILE = "host.pid"
STATE_FILE = "state.json"
METRICS_DIR = "metrics"


def run_dir(home: Home) -> Path:
    return home.root / RUN_DIR


def pid_path(home: Home) -> Path:
    return run_dir(home) / PID_FILE


def state_path(home: Home) -> Path:
    return run_dir(home) / STATE_FILE


MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus_client's variable naming the folder where each worker keeps its metric values (`metrics_dir`)."""


def metrics_dir(home: Home) -> Path:
    return run_dir(home) / METRICS_DIR


def reset_metrics_dir(home: Home) -> Path:
    """An empty `run/metrics/`: the values of a previous run must not be added to this one's."""
    folder = metrics_dir(home)
    shutil.rmtree(folder, ignore_errors=True)
    home.ensure(folder)
    return folder


def write_pid(home: Home, pid: int | None = None) -> None:
    write_private(pid_path(home), f"{pid or os.getpid()}\n", mode=0o644)


def write_state(home: Home, state: dict[str, Any]) -> None:
    write_private(state_path(home), json.dumps(state, indent=2, sort_keys=True), mode=0o600)


def remove_run_files(home: Home) -> None:
    for path in (pid_path(home), state_path(home)):
        path.unlink(missing_ok=True)


def read_pid(home: Home) -> int | None:
    try:
        text = pid_path(home).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


def read_state(home: Home) -> dict[str, Any] | None:
    try:
        data = json.loads(state_path(home).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def pid_exists(pid: int) -> bool:
    """Whether a process with this id exists (under any user)."""
    if os.name == "nt":  # there `os.kill(pid, 0)` is no probe: 0 is CTRL_C_EVENT, sent to a process group
        import psutil  # a dependency on Windows only

        return bool(psutil.pid_exists(pid))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists and, where /proc shows it, is an ecmahost process (a pid file may
    outlive the host and its pid be reused)."""
    if not pid_exists(pid):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        return b"ecmahost" in cmdline.read_bytes()
    except OSError:
        return True


def running_pid(home: Home) -> int | None:
    """The pid of the host serving this home, or None when none is running."""
    pid = read_pid(home)
    return pid if pid is not None and process_alive(pid) else None
