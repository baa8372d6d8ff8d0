"""`ecmahost serve`: serve every connector of the home folder at /ecma2host_<Name>/scim."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecmahost.cli.common import HomeOption, fail, open_home, reported_errors, say

PortOption = Annotated[int | None, typer.Option("--port", help="TCP port (default: host.yaml, else 8585).")]
BindOption = Annotated[
    str | None, typer.Option("--bind", help="Address to listen on (default: host.yaml, else 0.0.0.0).")
]
InsecureOption = Annotated[
    bool,
    typer.Option("--insecure-http", help="Serve plain HTTP without TLS. Only for local tests: Entra needs HTTPS."),
]
WorkersOption = Annotated[
    str,
    typer.Option(
        "--workers",
        help="Worker processes sharing the port: a number, or 'auto' for one per CPU core (default: 1).",
    ),
]

AgentOption = Annotated[
    Path | None,
    typer.Option(
        "--agent",
        help="Also take the relay's requests with the agent of this folder (`ecmahost agent register --home DIR`), "
        "in process: no inbound port is needed for them (docs/agent.md).",
    ),
]


def serve_command(
    home: HomeOption = None,
    port: PortOption = None,
    bind: BindOption = None,
    insecure_http: InsecureOption = False,
    workers: WorkersOption = "1",
    agent: AgentOption = None,
) -> None:
    """Serve every configured connector over HTTPS (one SCIM endpoint per connector)."""
    # Imported here, as in every CLI module (see cli.common): the other commands need not load the server.
    from ecmahost.server import options_from, serve, worker_count
    from ecmahost.settings import load_settings

    with reported_errors():
        where = open_home(home)
        settings = load_settings(where)
        try:
            count = worker_count(workers)
        except ValueError as exc:
            fail(str(exc))
        if agent is not None:
            agent = _checked_agent(agent)
        options = options_from(settings, port, bind, insecure_http, count, agent)
        cert, _ = settings.certificate_paths(where)
        if not insecure_http and not cert.exists():
            fail(f"no TLS certificate at {cert}; create one with `ecmahost cert generate --home {where.root}`")
        scheme = "http" if insecure_http else "https"
        plural = f" with {count} workers" if count > 1 else ""
        say(f"ecmahost serving {where.root} on {scheme}://{options.bind}:{options.port}{plural}")
        if agent is not None:
            say(f"taking the relay's requests with the agent of {agent}")
        serve(where, options)


def _checked_agent(folder: Path) -> Path:
    """The agent folder, resolved, once its settings and key are readable (else a clear failure before serving)."""
    from ecmahost.agent import settings as agent_settings

    try:
        agent_settings.load(folder)
        agent_settings.seed_file(folder).read_bytes()
    except agent_settings.AgentSettingsError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot read the agent's key in {folder}: {exc.strerror}; run `ecmahost agent register --home {folder}`")
    return folder.resolve()
