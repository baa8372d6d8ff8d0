"""`ecmahost test-connection NAME` and `ecmahost collect-troubleshooting-info`: thin commands over
`ecmahost.troubleshoot`.

The token of `test-connection` comes from `--token-file` or a hidden prompt, never from the command line (where
`ps` and the shell history would keep it). Exit code 0 only when every step passes.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ecmahost.cli.common import HomeOption, fail, open_home, reported_errors, say, stdout, warn
from ecmahost.troubleshoot.steps import Report, Step, StepStatus

# The checks (httpx, the SCIM and TLS probes) are imported inside the commands: every `ecmahost` run, `serve`
# too, imports all CLI modules first, so a module-level import here delays the host's start.
if TYPE_CHECKING:
    from ecmahost.home import Home

MARKS = {StepStatus.PASS: "✓", StepStatus.WARN: "!", StepStatus.FAIL: "✗", StepStatus.SKIP: "-"}
# The default of `--timeout`: the same as `troubleshoot.connection_check.DEFAULT_TIMEOUT` (a test holds them
# equal), written here because importing that module for its default would load httpx at every start.
DEFAULT_TIMEOUT = 10.0


def _read_token(token_file: Path | None) -> str:
    if token_file is None:
        return typer.prompt("Secret token of the connector", hide_input=True).strip()
    try:
        token = token_file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        fail(f"cannot read the token file {token_file}: {exc.strerror or exc}")
    if not token:
        fail(f"the token file {token_file} is empty")
    return token


def _expected_attributes(home: Home, name: str) -> list[str] | None:
    from ecmahost.config.errors import ConfigError
    from ecmahost.config.store import ConnectorStore

    try:
        config = ConnectorStore(home).load(name, require_env=False)
    except ConfigError:
        return None
    user = config.object_types.get("User")
    return list(user.attributes) if user else None


def _check_file_against_target(report: Report, home: Home, name: str) -> None:
    """On the host (its home is readable), compare the connector file with its target too."""
    import asyncio

    from ecmahost.config.errors import ConfigError
    from ecmahost.config.store import ConnectorStore
    from ecmahost.troubleshoot.target_check import target_step

    try:
        config = ConnectorStore(home).load(name)
    except ConfigError:
        return  # `ecmahost status` names what is wrong with the file itself
    report.add(asyncio.run(target_step(config, home)))


def _recent_requests(home: Home, name: str) -> Step:
    """Whether the connector received any request lately, from the activity journal."""
    from ecmahost.troubleshoot.activity_check import recent_requests_step

    return recent_requests_step(home, name)


def print_report(report: Report) -> None:
    say(f"Testing connector {report.connector} at {report.url}")
    for step in report.steps:
        say(f"{MARKS[step.status]} {step.name}: {step.detail}")
        if step.fix:
            say(f"    fix: {step.fix}")
    failures = sum(step.status is StepStatus.FAIL for step in report.steps)
    say("All steps passed." if report.ok else f"{failures} step(s) failed; see the fix under each ✗.")


def connection_test_command(
    name: Annotated[str, typer.Argument(help="Connector name (case-sensitive), as in the tenant URL.")],
    url: Annotated[
        str | None,
        typer.Option("--url", help="Tenant URL (default: https://localhost:<port>/ecma2host_<NAME>/scim)."),
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option("--token-file", dir_okay=False, help="File holding the secret token (default: prompt)."),
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Also create, read and delete a throw-away user in the target.")
    ] = False,
    ca_file: Annotated[
        Path | None,
        typer.Option("--ca-file", dir_okay=False, help="Certificate (or CA) to trust, when not on the host."),
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Do not verify the certificate (Entra's agent does).")
    ] = False,
    match: Annotated[
        str, typer.Option("--match", help="Attribute of Entra's dummy-user query (its matching attribute).")
    ] = "userName",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds per network step.")] = DEFAULT_TIMEOUT,
    home: HomeOption = None,
) -> None:
    """Check, step by step, that Entra can reach this connector: URL, port, TLS, certificate, token, SCIM."""
    from ecmahost.home import Home, resolve_home
    from ecmahost.settings import load_settings
    from ecmahost.troubleshoot.connection_check import (
        ConnectionTest,
        default_url,
        host_certificates,
        run_connection_test,
    )

    with reported_errors():
        where = Home(resolve_home(home))
        readable = where.root.is_dir()
        settings = load_settings(where) if readable else None
        trusted: tuple[Path, ...] = host_certificates(where) if readable else ()
        if ca_file is not None:
            trusted += (ca_file.expanduser().resolve(),)
        if insecure:
            warn("--insecure: the certificate is not verified; Entra's provisioning agent does verify it")
        test = ConnectionTest(
            connector=name,
            url=url or default_url(name, settings.port if settings else 8585),
            token=_read_token(token_file),
            write=write,
            ca_files=trusted,
            insecure=insecure,
            expected_attributes=_expected_attributes(where, name) if readable else None,
            match_attribute=match,
            timeout=timeout,
        )
    traffic = _recent_requests(where, name) if readable else None  # read first: the test's requests do not count
    report = run_connection_test(test)
    if readable:
        _check_file_against_target(report, where, name)
    if traffic is not None:
        report.add(traffic)
    if as_json:
        stdout.out(json.dumps(report.to_dict(), indent=2), highlight=False)
    else:
        print_report(report)
    raise typer.Exit(0 if report.ok else 1)


def collect_troubleshooting_info_command(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", dir_okay=False, help="Zip file to write (default: ./ecmahost-troubleshooting-<time>.zip)."
        ),
    ] = None,
    activity_hours: Annotated[
        float, typer.Option("--activity-hours", min=0, help="Hours of the activity journal to include.")
    ] = 24.0,
    home: HomeOption = None,
) -> None:
    """Write a zip for support: logs, connector files without secrets, settings, versions, certificate, tests,
    the recent activity (identifiers only)."""
    from ecmahost.troubleshoot.collect_info import collect

    with reported_errors():
        where = open_home(home)
        if not where.root.is_dir():
            fail(f"no home folder at {where.root}; pass --home")
        target = out or Path(f"ecmahost-troubleshooting-{datetime.now():%Y%m%d-%H%M%S}.zip")
        members = collect(where, target.resolve(), progress=say, activity_hours=activity_hours)
    say(f"Wrote {target} ({len(members)} files). It holds no secret; review it before you send it.")
