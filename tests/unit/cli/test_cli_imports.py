"""Every `ecmahost` run imports the whole CLI before it runs a command, `serve` too: the CLI modules must not load
the layers only some commands need (wizard, admin UI, SQL and LDAP connectors, HTTP client, server), or the host
starts seconds later. The check runs in a fresh interpreter, since this test process has imported them already."""

from __future__ import annotations

import subprocess
import sys

from ecmahost.cli import troubleshoot
from ecmahost.troubleshoot import connection_check

LOADED_ONLY_BY_THE_COMMANDS = (
    "sqlalchemy",
    "jinja2",
    "ldap3",
    "httpx",
    "uvicorn",
    "starlette",
    "ecmahost.wizard",
    "ecmahost.admin",
    "ecmahost.server",
    "ecmahost.connectors",
    "ecmahost.config.store",
    "ecmahost.troubleshoot.connection_check",
)


def test_importing_the_cli_loads_no_layer_that_only_some_commands_need() -> None:
    names = LOADED_ONLY_BY_THE_COMMANDS
    packages = tuple(f"{name}." for name in names)
    code = (
        "import sys; import ecmahost.cli.main; "
        f"print(sorted(m for m in sys.modules if m in {names!r} or m.startswith({packages!r})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_timeout_default_of_test_connection_is_the_connection_checks_own() -> None:
    assert troubleshoot.DEFAULT_TIMEOUT == connection_check.DEFAULT_TIMEOUT
