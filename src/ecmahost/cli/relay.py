"""`ecmahost relay`: serve the relay; `relay init`, `relay site add`, `relay agents [revoke]` manage its home."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from ecmahost.cli.common import fail, say

app = typer.Typer(
    help="The relay: HTTPS in, NATS requests to the sites' agents (docs/agent.md). Without a command: serve.",
    invoke_without_command=True,
)
site_app = typer.Typer(help="Sites: one per on-premises location with its agents.")
agents_app = typer.Typer(help="The registered agents and their heartbeats.", invoke_without_command=True)
app.add_typer(site_app, name="site")
app.add_typer(agents_app, name="agents")

DEFAULT_HOME = Path.home() / ".ecmahost-relay"
RelayHomeOption = Annotated[Path, typer.Option("--home", envvar="ECMAHOST_RELAY_HOME", help="The relay's folder.")]


@app.callback()
def relay_command(ctx: typer.Context) -> None:
    """`ecmahost relay` alone serves the relay of ECMAHOST_RELAY_HOME (or ~/.ecmahost-relay) on 8443."""
    if ctx.invoked_subcommand is None:
        serve_command(Path(os.environ.get("ECMAHOST_RELAY_HOME", str(DEFAULT_HOME))))


def _config(home: Path) -> dict[str, object]:
    path = home / "relay.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _home(home: Path):
    from ecmahost.relay.registry import RelayHome

    pid = _config(home).get("nats_pid_file")
    return RelayHome(home, Path(str(pid)) if pid else None)


@app.command("init")
def init_command(
    nats: Annotated[list[str], typer.Option("--nats", help="NATS URL(s), e.g. tls://nats.example.org:4222.")],
    home: RelayHomeOption = DEFAULT_HOME,
    nats_ca: Annotated[Path | None, typer.Option("--nats-ca", help="CA file of the NATS server's certificate.")] = None,
    nats_pid_file: Annotated[
        Path | None, typer.Option("--nats-pid-file", help="The NATS server's pid_file: reloaded on each change.")
    ] = None,
    agent_nats: Annotated[
        list[str] | None,
        typer.Option(
            "--agent-nats",
            help="NATS URL(s) as the agents reach them, if not --nats: a public name, or wss://nats.example.org "
            "(NATS over WebSocket on 443) for sites that allow outbound HTTPS only.",
        ),
    ] = None,
    budget: Annotated[float, typer.Option("--budget", help="Seconds a request may take (then 504).")] = 30.0,
    max_body: Annotated[int, typer.Option("--max-body", help="Largest request body in bytes (then 413).")] = 1048576,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            help="A front proxy (IP or network) whose X-Forwarded-For names the client; default: none, the TCP peer.",
        ),
    ] = None,
) -> None:
    """Create the relay's NATS identity and authorization file, and save its settings."""
    from ecmahost.agent.settings import nats_urls_problem
    from ecmahost.settings import proxy_address

    problem = nats_urls_problem(agent_nats) if agent_nats else None
    if problem:
        fail(f"--agent-nats: {problem}")

    try:
        proxies = [proxy_address(item) for item in trusted_proxy or []]
    except ValueError as exc:
        fail(f"--trusted-proxy {exc}")
    config = {
        "nats_urls": nats,
        "agent_nats_urls": agent_nats or [],
        "nats_ca": str(nats_ca.resolve()) if nats_ca else None,
        "nats_pid_file": str(nats_pid_file.resolve()) if nats_pid_file else None,
        "budget_seconds": budget,
        "max_body": max_body,
        "trusted_proxies": proxies,
    }
    home.mkdir(parents=True, exist_ok=True)
    (home / "relay.json").write_text(json.dumps(config, indent=2))
    key = _home(home).init()
    say(f"relay {key[:12]}... ready in {home}")
    say(f"Add to the NATS server's config (beside it): include {home / 'nats-auth.conf'}")


@app.command("serve")
def serve_command(
    home: RelayHomeOption = DEFAULT_HOME,
    port: Annotated[int, typer.Option("--port", help="HTTPS port.")] = 8443,
    bind: Annotated[str, typer.Option("--bind", help="Address to listen on.")] = "0.0.0.0",  # noqa: S104
    cert: Annotated[Path | None, typer.Option("--cert", help="TLS certificate (default: <home>/relay.crt).")] = None,
    key: Annotated[Path | None, typer.Option("--key", help="TLS key (default: <home>/relay.key).")] = None,
) -> None:
    """Serve /sites/<site>/ecma2host_<Name>/scim over HTTPS."""
    import uvicorn

    from ecmahost.relay.app import RelaySettings, create_relay_app
    from ecmahost.tls import default_hostnames, generate_certificate

    config = _config(home)
    if not config:
        fail(f"{home / 'relay.json'} is missing: run `ecmahost relay init --home {home} --nats URL` first")
    cert, key = cert or home / "relay.crt", key or home / "relay.key"
    if not cert.exists():
        generate_certificate((cert, key), hostnames=default_hostnames())
        say(f"created a self-signed certificate {cert}")
    settings = RelaySettings(
        home=home,
        nats_urls=list(config["nats_urls"]),  # type: ignore[call-overload]
        agent_nats_urls=list(config.get("agent_nats_urls") or []),  # type: ignore[call-overload]
        nats_ca=Path(str(config["nats_ca"])) if config.get("nats_ca") else None,
        budget_seconds=float(config.get("budget_seconds", 30.0)),  # type: ignore[arg-type]
        max_body=int(config.get("max_body", 1048576)),  # type: ignore[call-overload]
        nats_pid_file=Path(str(config["nats_pid_file"])) if config.get("nats_pid_file") else None,
    )
    proxies = [str(item) for item in config.get("trusted_proxies") or []]  # type: ignore[attr-defined]
    say(f"ecmahost relay on https://{bind}:{port}")
    uvicorn.run(
        create_relay_app(settings),
        host=bind,
        port=port,
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
        log_level="warning",
        access_log=False,  # uvicorn formats the access line's arguments per response even below its level
        timeout_keep_alive=30,
        proxy_headers=bool(proxies),  # the client's address is the TCP peer's unless a trusted proxy names it
        forwarded_allow_ips=proxies,
    )


@site_app.command("add")
def site_add_command(
    name: Annotated[str, typer.Argument(help="Site name: letters, digits, '-' or '_'.")],
    home: RelayHomeOption = DEFAULT_HOME,
    minutes: Annotated[int, typer.Option("--minutes", help="Minutes the code stays valid.")] = 60,
) -> None:
    """Add a site (or a new code for it): prints a one-time registration code for `ecmahost agent register`."""
    from ecmahost.relay.registry import RegistryError

    try:
        code = _home(home).add_site(name, minutes * 60)
    except RegistryError as exc:
        fail(str(exc))
    say(f"Registration code for site {name} (valid {minutes} min, once):")
    typer.echo(code)


@agents_app.callback()
def agents_command(ctx: typer.Context, home: RelayHomeOption = DEFAULT_HOME) -> None:
    """List the agents: site, version, host name, connected since, last heartbeat, requests in flight."""
    if ctx.invoked_subcommand:
        return
    import time

    registry = _home(home)
    seen = registry.seen()
    typer.echo(f"{'ID':14} {'SITE':12} {'VERSION':8} {'HOST':20} {'CONNECTED SINCE':20} {'LAST BEAT':>10} IN FLIGHT")
    for key, agent in sorted(registry.agents().items(), key=lambda item: (item[1]["site"], item[0])):
        beat = seen.get(key, {})
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(beat["connected_since"])) if beat else "-"
        last = f"{time.time() - beat['received_at']:.0f} s ago" if beat else "never"
        typer.echo(
            f"{key[:12]}.. {agent['site']:12} {beat.get('version', '-'):8} {beat.get('hostname', '-')[:20]:20} "
            f"{since:20} {last:>10} {beat.get('in_flight', '-')}"
        )


@agents_app.command("revoke")
def revoke_command(
    agent_id: Annotated[str, typer.Argument(help="The agent's id (or its first characters).")],
    home: RelayHomeOption = DEFAULT_HOME,
) -> None:
    """Cut an agent off: its key leaves the NATS authorization file and the server reloads it."""
    from ecmahost.relay.registry import RegistryError

    try:
        removed = _home(home).revoke(agent_id)
    except RegistryError as exc:
        fail(str(exc))
    say(f"revoked agent {removed['id'][:12]}.. of site {removed['site']}")
