"""`ecmahost agent run` takes a site's requests from NATS; `agent register` enrols this machine with a relay."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ecmahost.cli.common import fail, say

app = typer.Typer(
    help="The on-premises agent: outbound to NATS, hands requests to a host (docs/agent.md). Without a command: run.",
    invoke_without_command=True,
)

DEFAULT_HOME = Path.home() / ".ecmahost-agent"
AgentHomeOption = Annotated[Path, typer.Option("--home", envvar="ECMAHOST_AGENT_HOME", help="The agent's folder.")]


@app.callback()
def agent_command(ctx: typer.Context) -> None:
    """`ecmahost agent` alone runs the agent of ECMAHOST_AGENT_HOME (or ~/.ecmahost-agent), like `agent run`."""
    if ctx.invoked_subcommand is None:
        run_command(Path(os.environ.get("ECMAHOST_AGENT_HOME", str(DEFAULT_HOME))))


@app.command("register")
def register_command(
    relay: Annotated[str, typer.Option("--relay", help="The relay's URL, e.g. https://relay.example.org.")],
    code: Annotated[str, typer.Option("--code", help="The code printed by `ecmahost relay site add`.")],
    home: AgentHomeOption = DEFAULT_HOME,
    host_url: Annotated[str, typer.Option("--host-url", help="The host this agent feeds.")] = "https://localhost:8585",
    host_ca: Annotated[Path | None, typer.Option("--host-ca", help="CA file of the host's certificate.")] = None,
    relay_ca: Annotated[Path | None, typer.Option("--relay-ca", help="CA file of the relay's certificate.")] = None,
    nats_ca: Annotated[Path | None, typer.Option("--nats-ca", help="CA file of the NATS server.")] = None,
    proxy: Annotated[
        str | None, typer.Option("--proxy", help="HTTP proxy for the relay and NATS (default: https_proxy).")
    ] = None,
    nats: Annotated[
        list[str] | None,
        typer.Option("--nats", help="NATS URL(s) to dial instead of the relay's, e.g. wss://nats.example.org."),
    ] = None,
) -> None:
    """Create this agent's key pair here and register its public key (only) with the relay."""
    import ssl

    import httpx

    from ecmahost.agent import settings as agent_settings
    from ecmahost.relay.registry import new_seed, public_key

    problem = agent_settings.nats_urls_problem(nats) if nats else None
    if problem:
        fail(f"--nats: {problem}")
    seed = new_seed()
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(relay_ca)) if relay_ca else True
    try:
        answer = httpx.post(
            relay.rstrip("/") + "/register",
            json={"code": code, "public_key": public_key(seed)},
            verify=verify,
            timeout=30,
            proxy=proxy,
        )
    except httpx.HTTPError as exc:
        fail(f"cannot reach the relay at {relay}: {exc}; check the URL, the proxy and --relay-ca")
    if answer.status_code != 201:
        fail(f"the relay refused the registration ({answer.status_code}): {_detail(answer)}")
    data = answer.json()
    nats_urls = nats or data["nats_urls"]
    home.mkdir(parents=True, exist_ok=True)
    seed_path = agent_settings.seed_file(home)
    seed_path.touch(mode=0o600)
    seed_path.chmod(0o600)
    seed_path.write_bytes(seed)
    agent_settings.save(
        home,
        agent_settings.AgentSettings(
            site=data["site"],
            nats_urls=nats_urls,
            host_url=host_url,
            host_ca=str(host_ca.resolve()) if host_ca else None,
            nats_ca=str(nats_ca.resolve()) if nats_ca else None,
            relay_url=relay.rstrip("/"),
            relay_ca=str(relay_ca.resolve()) if relay_ca else None,
            proxy=proxy,
        ),
    )
    problem = agent_settings.nats_urls_problem(nats_urls)
    if problem:
        path = agent_settings.settings_file(home)
        fail(f"registered agent {public_key(seed)[:12]}.., but the relay's NATS URLs: {problem}; edit {path}")
    say(f"registered agent {public_key(seed)[:12]}.. for site {data['site']}; start it with `ecmahost agent run`")


def _detail(answer: object) -> str:
    try:
        return str(answer.json()["detail"])  # type: ignore[attr-defined]
    except (ValueError, KeyError, TypeError):
        return answer.text[:200]  # type: ignore[attr-defined]


@app.command("run")
def run_command(home: AgentHomeOption = DEFAULT_HOME) -> None:
    """Connect out to NATS and serve the site's requests until SIGTERM (which drains)."""
    from ecmahost.agent.logs import setup_logging
    from ecmahost.agent.runner import run_agent
    from ecmahost.agent.settings import AgentSettingsError

    setup_logging(home)
    try:
        run_agent(home)
    except AgentSettingsError as exc:
        fail(str(exc))


@app.command("test")
def check_command(home: AgentHomeOption = DEFAULT_HOME) -> None:
    """Check DNS, TCP, TLS, authentication, permissions, the host and a round trip; print a fix for a failure."""
    from ecmahost.agent.checks import run_checks

    failed = False
    for check in run_checks(home):
        mark = "OK  " if check.ok else "FAIL"
        typer.echo(f"{mark} {check.name:15} {check.detail}")
        if not check.ok:
            typer.echo(f"     fix: {check.fix}")
            failed = True
    raise typer.Exit(1 if failed else 0)


@app.command("collect-logs")
def collect_logs_command(
    home: AgentHomeOption = DEFAULT_HOME,
    minutes: Annotated[float, typer.Option("--minutes", help="Minutes of verbose logging first.")] = 3.0,
    skip_verbose: Annotated[
        bool, typer.Option("--skip-verbose", help="Collect the current logs now, without a verbose period.")
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", help="The zip to write.")] = None,
) -> None:
    """Raise the running agent's log level for N minutes, then zip its logs, settings (no secrets), versions and
    `agent test` results."""
    import time

    from ecmahost.agent.checks import run_checks
    from ecmahost.agent.logs import collect

    target = out or Path(f"ecmahost-agent-logs-{time.strftime('%Y%m%d-%H%M%S')}.zip")
    if not skip_verbose:
        say(f"verbose logging for {minutes:g} min: reproduce the problem now")

    def checks() -> str:
        return "".join(
            f"{'OK  ' if c.ok else 'FAIL'} {c.name:15} {c.detail} {c.fix}".rstrip() + "\n" for c in run_checks(home)
        )

    collect(home, minutes, skip_verbose, target, checks)
    say(f"wrote {target}")
