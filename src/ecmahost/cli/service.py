"""`ecmahost service install|uninstall|metrics-token`: run the host as a systemd service, protect `/metrics`.

`install` writes a unit (user: `~/.config/systemd/user/`, system: `/etc/systemd/system/`) that runs
`ecmahost serve --home <home>` with restart on failure and a graceful stop (SIGTERM, then the host finishes
in-flight requests), and environment variables for `${env:...}` secrets from `<home>/service.env`; then it enables
and starts it with `systemctl` unless `--no-start`. `uninstall` stops, disables and removes it. This module writes
unit files and calls `systemctl`; it does not supervise anything itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ecmahost.cli.common import HomeOption, fail, open_home, reported_errors, say, warn

# The server and the settings are imported inside the functions that use them: every `ecmahost` run, `serve`
# too, imports all CLI modules first, so a module-level import here delays the host's start.
if TYPE_CHECKING:
    from ecmahost.home import Home

app = typer.Typer(help="Run the host as a systemd service.", no_args_is_help=True)

DEFAULT_UNIT = "ecmahost"
SYSTEM_UNIT_DIR = Path("/etc/systemd/system")

SystemOption = Annotated[
    bool, typer.Option("--system/--user", help="A system unit (needs root) or a unit of the current user.")
]
UnitDirOption = Annotated[
    Path | None, typer.Option("--unit-dir", file_okay=False, help="Write the unit here instead (packaging, tests).")
]
NameOption = Annotated[str, typer.Option("--name", help="Unit name, without .service.")]


def user_unit_dir() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user"


def _quote(value: str) -> str:
    return f'"{value}"' if any(char.isspace() for char in value) else value


def systemd_unit(home: Home, *, system: bool, run_as: str | None = None, python: str = sys.executable) -> str:
    """The unit file text."""
    from ecmahost.server import GRACEFUL_SECONDS
    from ecmahost.settings import MAX_DRAIN_SECONDS

    command = " ".join(_quote(part) for part in (python, "-m", "ecmahost", "serve", "--home", str(home.root)))
    lines = [
        "[Unit]",
        "Description=ecmahost: SCIM connector host",
        "After=network-online.target",
        "Wants=network-online.target",
        "",
        "[Service]",
        "Type=exec",
        f"ExecStart={command}",
        f"EnvironmentFile=-{_quote(str(home.root / 'service.env'))}",
        "Environment=PYTHONUNBUFFERED=1",
        "Restart=on-failure",
        "RestartSec=5",
        "KillSignal=SIGTERM",
        f"TimeoutStopSec={MAX_DRAIN_SECONDS + GRACEFUL_SECONDS + 15}",  # the longest drain host.yaml allows
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
    ]
    if system:
        if run_as:
            lines.append(f"User={run_as}")
        lines += ["ProtectSystem=strict", "ProtectHome=read-only", f"ReadWritePaths={_quote(str(home.root))}"]
    lines += ["", "[Install]", f"WantedBy={'multi-user.target' if system else 'default.target'}", ""]
    return "\n".join(lines)


def _systemctl(system: bool, *args: str) -> bool:
    command = ["systemctl", *(() if system else ("--user",)), *args]
    if shutil.which("systemctl") is None:
        warn(f"systemctl not found; run by hand: {' '.join(command)}")
        return False
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        warn(f"`{' '.join(command)}` failed: {result.stderr.strip() or result.returncode}")
        return False
    return True


def _unit_path(name: str, system: bool, unit_dir: Path | None) -> Path:
    folder = unit_dir or (SYSTEM_UNIT_DIR if system else user_unit_dir())
    return folder / f"{name}.service"


@app.command()
def install(
    system: SystemOption = False,
    run_as: Annotated[
        str | None, typer.Option("--run-as", help="System unit: the account to run as (not root).")
    ] = None,
    name: NameOption = DEFAULT_UNIT,
    unit_dir: UnitDirOption = None,
    no_start: Annotated[bool, typer.Option("--no-start", help="Only write the unit; do not start it.")] = False,
    home: HomeOption = None,
) -> None:
    """Write a systemd unit that runs `ecmahost serve` for this home, then enable and start it."""
    with reported_errors():
        where = open_home(home)
        if not where.root.is_dir():
            fail(f"no home folder at {where.root}; create a connector first or pass --home")
        path = _unit_path(name, system, unit_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(systemd_unit(where, system=system, run_as=run_as), encoding="utf-8")
    say(f"Wrote {path}")
    scope = "" if system else " --user"
    if no_start or unit_dir is not None:
        say(f"Start it with: systemctl{scope} daemon-reload && systemctl{scope} enable --now {name}")
        return
    if _systemctl(system, "daemon-reload") and _systemctl(system, "enable", "--now", name):
        say(f"{name} is enabled and started; `systemctl{scope} status {name}` and `ecmahost status` show it.")
    if not system:
        say("To keep it running while you are logged out: loginctl enable-linger $USER")


@app.command()
def uninstall(
    system: SystemOption = False,
    name: NameOption = DEFAULT_UNIT,
    unit_dir: UnitDirOption = None,
) -> None:
    """Stop and disable the service, then remove its unit file."""
    path = _unit_path(name, system, unit_dir)
    if unit_dir is None:
        _systemctl(system, "disable", "--now", name)
    if not path.exists():
        fail(f"no unit file at {path}")
    path.unlink()
    if unit_dir is None:
        _systemctl(system, "daemon-reload")
    say(f"Removed {path}")


@app.command("metrics-token")
def metrics_token(
    off: Annotated[bool, typer.Option("--off", help="Serve /metrics without a token again.")] = False,
    home: HomeOption = None,
) -> None:
    """Protect GET /metrics with a new bearer token (printed once, stored as a hash in host.yaml)."""
    from ecmahost.config.tokens import generate_token, hash_token
    from ecmahost.settings import MetricsSettings, load_settings, save_settings

    with reported_errors():
        where = open_home(home)
        settings = load_settings(where)
        token = None if off else generate_token()
        metrics = MetricsSettings(enabled=settings.metrics.enabled, token_hash=hash_token(token) if token else None)
        save_settings(where, settings.model_copy(update={"metrics": metrics}))
    if token is None:
        say("/metrics no longer needs a token. Restart the host to apply.")
        return
    say(f"Metrics token: {token}")
    say("Give it to Prometheus (authorization: {credentials_file: ...}); restart the host to apply.")
    warn("the token is stored only as a hash: copy it now")
