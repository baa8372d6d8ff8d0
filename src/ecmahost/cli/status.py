"""`ecmahost status`: whether the host of this home runs, its connectors and tenant URLs, the certificate's
expiry and each connector's last target errors (from `ecmahost.troubleshoot.status`). Exit code 0 when the host
runs, 3 when it does not (like `systemctl status`), so scripts can test it."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Annotated

import typer

from ecmahost.cli.common import HomeOption, open_home, reported_errors, say, stdout, warn

# The status collector is imported inside the command: every `ecmahost` run, `serve` too, imports all CLI modules
# first, so a module-level import here delays the host's start.
if TYPE_CHECKING:
    from ecmahost.troubleshoot.status import ConnectorStatus, HostStatus

NOT_RUNNING = 3
SHOWN_ERRORS = 3


def _print(status: HostStatus) -> None:
    from rich.table import Table

    if status.running:
        say(f"Host: running (pid {status.pid}) since {status.started_at} at {status.url}")
    else:
        say(f"Host: NOT running (home {status.home}); start it with `ecmahost serve` or `systemctl start ecmahost`")
    say(f"Log levels: host={status.log_levels['host']}, connectors={status.log_levels['connectors']}")
    cert = status.certificate
    if cert.not_after:
        say(f"Certificate: {cert.path}, expires {cert.not_after[:10]} ({cert.days_left} days left)")
    if cert.problem:
        warn(f"certificate: {cert.problem}")
    if status.settings_problem:
        warn(f"host.yaml: {status.settings_problem}")
    table = Table("Connector", "Type", "Served", "Tenant URL", box=None)
    for item in status.connectors:
        table.add_row(item.name, item.type or "?", _served(item), item.tenant_url)
    if status.connectors:
        stdout.print(table)
    else:
        say("No connectors yet: create one with `ecmahost connector new` (or `ecmahost demo`).")
    for item in status.connectors:
        if item.problem:
            warn(f"{item.name}: {item.problem}")
        for problem in item.target_problems:
            warn(f"{item.name}: does not match its target: {problem}")
        if item.unverified:
            say(f"  {item.name}: not checked against its target yet ({item.unverified})")
        for error in item.recent_errors[-SHOWN_ERRORS:]:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(error["at"]))
            say(f"  {item.name} last error {when}: {error['status']} {error['detail']} (request {error['request_id']})")


def _served(item: ConnectorStatus) -> str:
    if not item.served or "all" in item.not_served:
        return "no"
    if item.not_served:
        return f"yes, but not {', '.join(item.not_served)}"
    return "yes"


def status_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
    home: HomeOption = None,
) -> None:
    """Is the host running; its connectors, tenant URLs, certificate expiry and last errors."""
    from ecmahost.troubleshoot.status import host_status

    with reported_errors():
        status = host_status(open_home(home))
    if as_json:
        stdout.out(json.dumps(status.to_dict(), indent=2, default=str), highlight=False)
    else:
        _print(status)
    raise typer.Exit(0 if status.running else NOT_RUNNING)
