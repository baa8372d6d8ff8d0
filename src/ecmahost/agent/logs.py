"""The agent's log file and `agent collect-logs` (the analog of Microsoft's `Export-AADCloudSyncToolsLogs`).

    <home>/logs/agent.log      rotating (5 x 5 MB), beside stderr (the journal under systemd)
    <home>/verbose-until       epoch seconds: while in the future the running agent logs at DEBUG (one line per
                               request: method, path, status, milliseconds; never a header value)

`collect` raises the level for N minutes (unless told to skip it), then zips the logs, the settings with any proxy
password removed, the versions and the `agent test` results. The agent's seed is never collected.
"""

from __future__ import annotations

import json
import logging
import platform
import time
import zipfile
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from logging.handlers import RotatingFileHandler
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ecmahost.agent import settings as agent_settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def verbose_file(home: Path) -> Path:
    return home / "verbose-until"


def setup_logging(home: Path) -> None:
    (home / "logs").mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    formatter = logging.Formatter(FORMAT)
    for handler in (logging.StreamHandler(), RotatingFileHandler(home / "logs" / "agent.log", "a", 5 << 20, 5)):
        handler.setFormatter(formatter)
        root.addHandler(handler)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request of its own otherwise


def apply_verbose(home: Path) -> None:
    """DEBUG for ecmahost's loggers while `verbose-until` is in the future (checked at each heartbeat)."""
    try:
        until = float(verbose_file(home).read_text().strip())
    except (OSError, ValueError):
        until = 0.0
    logging.getLogger("ecmahost").setLevel(logging.DEBUG if until > time.time() else logging.INFO)


def _redacted_settings(home: Path) -> str:
    try:
        data = json.loads(agent_settings.settings_file(home).read_text())
    except (OSError, ValueError) as exc:
        return f"(unreadable: {exc})"
    proxy = data.get("proxy")
    if proxy:
        parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if parts.password:
            netloc = f"{parts.username}:***@{parts.hostname}:{parts.port}"
            data["proxy"] = urlunsplit(parts._replace(netloc=netloc))
    return json.dumps(data, indent=2)


def _versions() -> str:
    lines = [f"python {platform.python_version()} on {platform.platform()}"]
    for package in ("ecmahost", "nats-py", "nkeys", "httpx"):
        try:
            lines.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            lines.append(f"{package} (not installed)")
    return "\n".join(lines) + "\n"


def collect(home: Path, minutes: float, skip_verbose: bool, out: Path, run_checks: Callable[[], str]) -> Path:
    """The zip at `out`; `run_checks` runs inside the verbose window, so its requests are traced too."""
    if skip_verbose or minutes <= 0:
        checks = run_checks()
    else:
        ends = time.time() + minutes * 60
        verbose_file(home).write_text(str(ends))
        try:
            checks = run_checks()
            time.sleep(max(ends - time.time(), 0))
        finally:
            verbose_file(home).unlink(missing_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for log in sorted((home / "logs").glob("agent.log*")):
            archive.write(log, f"logs/{log.name}")
        archive.writestr("agent.json", _redacted_settings(home))
        archive.writestr("versions.txt", _versions())
        archive.writestr("agent-test.txt", checks)
    return out
