"""`ecmahost service install|uninstall`: the systemd unit that runs `ecmahost serve` with restart on failure."""

from __future__ import annotations

import sys

from typer.testing import CliRunner

from ecmahost.cli.main import app
from ecmahost.cli.service import systemd_unit
from ecmahost.home import Home

runner = CliRunner()


def test_the_unit_runs_serve_for_the_home_restarts_on_failure_and_stops_gracefully(tmp_path) -> None:
    unit = systemd_unit(Home(tmp_path / "my home"), system=False)
    assert f'ExecStart={sys.executable} -m ecmahost serve --home "{tmp_path / "my home"}"' in unit
    assert "Restart=on-failure" in unit
    assert "KillSignal=SIGTERM" in unit
    assert "WantedBy=default.target" in unit
    assert "User=" not in unit


def test_a_system_unit_runs_as_the_given_account_with_a_read_only_system(tmp_path) -> None:
    unit = systemd_unit(Home(tmp_path), system=True, run_as="ecmahost")
    assert "User=ecmahost" in unit
    assert "ProtectSystem=strict" in unit
    assert f"ReadWritePaths={tmp_path}" in unit
    assert "WantedBy=multi-user.target" in unit


def test_install_then_uninstall_writes_and_removes_the_unit(tmp_path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    units = tmp_path / "units"
    installed = runner.invoke(app, ["service", "install", "--home", str(home), "--unit-dir", str(units)])
    assert installed.exit_code == 0, installed.output
    assert (units / "ecmahost.service").read_text().startswith("[Unit]")
    removed = runner.invoke(app, ["service", "uninstall", "--unit-dir", str(units)])
    assert removed.exit_code == 0, removed.output
    assert not (units / "ecmahost.service").exists()


def test_metrics_token_is_printed_once_and_stored_as_a_hash(tmp_path) -> None:
    home = tmp_path / "home"
    result = runner.invoke(app, ["service", "metrics-token", "--home", str(home)])
    assert result.exit_code == 0, result.output
    token = next(line.split(": ", 1)[1] for line in result.output.splitlines() if line.startswith("Metrics token"))
    stored = (home / "host.yaml").read_text()
    assert "token_hash: scrypt$" in stored
    assert token not in stored
