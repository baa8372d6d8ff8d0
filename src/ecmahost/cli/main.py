"""The root `ecmahost` command: the sub-apps (`connector`, `cert`) and the commands owned by other modules.

To add a command from its own module, import it and register it below with one line, e.g.
`app.command("serve")(serve.serve_command)`. Every run imports all these modules before it runs a command, `serve`
too, so a command module imports at module level only what its signatures need and the rest inside its commands
(tests/unit/cli/test_cli_imports.py checks it).
"""

from __future__ import annotations

from typing import Annotated

import typer

from ecmahost import __version__
from ecmahost.cli import (
    activity,
    admin,
    agent,
    cert,
    connector,
    demo,
    log_level,
    logs,
    relay,
    serve,
    service,
    status,
    troubleshoot,
)

app = typer.Typer(
    name="ecmahost",
    help="An open connector host for identity provisioning: one SCIM 2.0 endpoint per connector.",
    no_args_is_help=True,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"ecmahost {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """ecmahost: SCIM in, SQL/LDAP out."""


app.add_typer(connector.app, name="connector")
app.add_typer(cert.app, name="cert")
# Commands owned by other modules: one line each.
app.command("serve")(serve.serve_command)
app.command("demo")(demo.demo_command)
app.add_typer(admin.app, name="admin")
app.command("logs")(logs.logs_command)
app.add_typer(activity.app, name="activity")
app.command("log-level")(log_level.log_level_command)
app.command("status")(status.status_command)
app.command("test-connection")(troubleshoot.connection_test_command)
app.command("collect-troubleshooting-info")(troubleshoot.collect_troubleshooting_info_command)
app.add_typer(service.app, name="service")
app.add_typer(relay.app, name="relay")
app.add_typer(agent.app, name="agent")
