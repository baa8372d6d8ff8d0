"""A level saved in host.yaml is applied live; the run files follow the host's life."""

from __future__ import annotations

import logging
import os

from ecmahost.home import Home
from ecmahost.observability.monitor import RunFiles, ServedAt, follow_levels
from ecmahost.observability.run_files import pid_path, read_pid, read_state, state_path
from ecmahost.runtime import HostRuntime
from ecmahost.settings import HostSettings, LogLevel, LogLevels, load_settings, save_settings


def _run_files(home: Home, runtime: HostRuntime | None = None) -> RunFiles:
    levels = load_settings(home).log_levels
    return RunFiles(home, runtime or HostRuntime(home.root), levels, ServedAt("https", "0.0.0.0", 8585))


def _touch_later(home: Home) -> None:
    """Make sure the next save changes the modification time even on coarse clocks."""
    stamp = home.host_file.stat().st_mtime_ns - 10_000_000_000
    os.utime(home.host_file, ns=(stamp, stamp))


def test_a_level_saved_in_host_yaml_is_applied_when_followed(home, logging_for) -> None:
    save_settings(home, HostSettings())
    logging_for(load_settings(home))
    current = load_settings(home).log_levels
    _touch_later(home)
    wanted = LogLevels(host=LogLevel.VERBOSE, connectors=LogLevel.WARNING)
    save_settings(home, HostSettings(log_levels=wanted))
    assert follow_levels(home, current) == wanted
    assert logging.getLogger("ecmahost").level == logging.DEBUG
    assert logging.getLogger("ecmahost.connectors").level == logging.WARNING


def test_an_invalid_host_yaml_keeps_the_current_levels(home, logging_for) -> None:
    save_settings(home, HostSettings(log_levels=LogLevels(host=LogLevel.WARNING)))
    logging_for(load_settings(home))
    current = load_settings(home).log_levels
    home.host_file.write_text("log_levels: {host: Loud}\n")
    assert follow_levels(home, current) == current
    assert logging.getLogger("ecmahost").level == logging.WARNING


def test_state_shows_levels_connectors_and_recent_errors(home) -> None:
    runtime = HostRuntime(home.root)
    runtime.recent_errors.add("demo", 503, "target down: postgresql://u:pw-xyz@db/x", "r1")
    _run_files(home, runtime).write_state()
    state = read_state(home)
    assert state is not None
    assert state["log_levels"] == {"host": "Error", "connectors": "Error"}
    assert state["url"] == "https://localhost:8585"
    assert state["recent_errors"]["demo"][0]["status"] == 503
    assert "pw-xyz" not in state_path(home).read_text()


def test_run_files_exist_while_running_and_are_removed_on_stop(home) -> None:
    run_files = _run_files(home)
    run_files.start()
    assert (read_pid(home), state_path(home).exists()) == (os.getpid(), True)
    run_files.stop()
    assert not pid_path(home).exists()
    assert not state_path(home).exists()
