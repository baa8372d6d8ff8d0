"""`ecmahost admin`: serve the configuration wizard's web UI on its own port (default 127.0.0.1:8586), and
`ecmahost admin set-password`.

On first start, the admin password is asked for (hidden prompt, or `--password-file`) and stored as a hash in
`<home>/admin.yaml`. The UI listens on localhost by default; binding another address requires TLS (the host's
certificate). The UI writes connector files; a running `ecmahost serve` picks them up (see `ecmahost.reload`).
"""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ecmahost.cli.common import HomeOption, fail, open_home, reported_errors, say

# The admin app (Starlette, Jinja) and uvicorn are imported inside the commands: every `ecmahost` run, `serve`
# too, imports all CLI modules first, so a module-level import here delays the host's start.
if TYPE_CHECKING:
    from ecmahost.home import Home

app = typer.Typer(help="The configuration wizard as a local web UI.", invoke_without_command=True)

PasswordFile = Annotated[
    Path | None,
    typer.Option("--password-file", help="Read the admin password from the first line of this file; - is stdin."),
]


def _read_password(password_file: Path | None) -> str:
    if password_file is not None:
        text = sys.stdin.read() if str(password_file) == "-" else password_file.read_text(encoding="utf-8")
        return text.splitlines()[0] if text else ""
    return str(typer.prompt("Admin password (at least 12 characters)", hide_input=True, confirmation_prompt=True))


def _store_password(home: Home, password_file: Path | None) -> None:
    from ecmahost.admin.security import set_admin_password

    try:
        set_admin_password(home, _read_password(password_file))
    except ValueError as exc:
        fail(str(exc))


def _is_loopback(bind: str) -> bool:
    if bind == "localhost":
        return True
    try:
        return ipaddress.ip_address(bind).is_loopback
    except ValueError:
        return False


@app.callback()
def admin(
    ctx: typer.Context,
    home: HomeOption = None,
    port: Annotated[int | None, typer.Option("--port", help="Port of the UI (default: admin.yaml, else 8586).")] = None,
    bind: Annotated[str | None, typer.Option("--bind", help="Address (default: 127.0.0.1).")] = None,
    tls: Annotated[bool, typer.Option("--tls", help="Serve HTTPS with the host's certificate.")] = False,
    password_file: PasswordFile = None,
) -> None:
    """Serve the admin web UI (asks for the admin password on first start)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from ecmahost.admin.app import create_admin_app
    from ecmahost.admin.security import load_admin_settings, save_admin_settings
    from ecmahost.settings import load_settings
    from ecmahost.tls import server_ssl_context

    with reported_errors():
        where = open_home(home)
        settings = load_admin_settings(where)
        if settings.password_hash is None:
            say("No admin password yet: set one now.")
            _store_password(where, password_file)
        port = port or settings.port
        bind = bind or settings.bind
        if port != settings.port or bind != settings.bind:
            save_admin_settings(where, load_admin_settings(where).model_copy(update={"port": port, "bind": bind}))
        if not _is_loopback(bind) and not tls:
            fail(f"the admin UI on {bind} (not localhost) needs --tls, so its password never travels in clear")
        context = None
        if tls:
            cert, key = load_settings(where).certificate_paths(where)
            context = server_ssl_context(cert, key)
        scheme = "https" if tls else "http"
        say(f"ecmahost admin UI for {where.root} on {scheme}://{'localhost' if _is_loopback(bind) else bind}:{port}")
        config = uvicorn.Config(
            create_admin_app(where, secure_cookies=tls),
            host=bind,
            port=port,
            log_level="warning",
            access_log=False,
            server_header=False,
            ssl_context_factory=None if context is None else (lambda _config, _default: context),
        )
        uvicorn.Server(config).run()


@app.command("set-password")
def set_password(home: HomeOption = None, password_file: PasswordFile = None) -> None:
    """Set or change the admin UI's password (stored as a salted hash in admin.yaml)."""
    with reported_errors():
        where = open_home(home)
        _store_password(where, password_file)
    say("Admin password set.")
