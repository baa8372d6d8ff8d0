"""`ecmahost connector ...`: list, show, export, import, delete connectors; set their token and secrets.

Thin commands over `config.store.ConnectorStore`: they parse options, call the store, and print. A token or a
secret is never taken from a command-line argument (it would land in shell history and `ps`): it comes from a
hidden prompt, a file, an environment variable, or is generated and printed once.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ecmahost.cli import connector_new, connector_types, discover
from ecmahost.cli.common import HomeOption, fail, open_home, reported_errors, say, stderr, stdout, warn

if TYPE_CHECKING:
    from ecmahost.config.store import ConnectorStore

# The store and the YAML layer are imported inside the commands: every `ecmahost` run, `serve` too, imports all
# CLI modules first, so a module-level import here delays the host's start.

app = typer.Typer(help="Manage connectors: one SCIM endpoint per connector.", no_args_is_help=True)
app.command("types")(connector_types.types_command)

NameArgument = Annotated[str, typer.Argument(help="Connector name (case-sensitive, as in the URL).")]


def scim_path(name: str) -> str:
    """The connector's SCIM base path, as entered in Entra's Tenant URL after `https://host:8585`."""
    return f"/ecma2host_{name}/scim"


@app.command("list")
def list_connectors(home: HomeOption = None) -> None:
    """List the connectors: type, object types, whether a token is set, and the tenant URL path."""
    from rich.table import Table

    from ecmahost.config.store import ConnectorStore

    with reported_errors():
        the_home = open_home(home)
        report = ConnectorStore(the_home).scan(require_env=False)
    if not report.configs and not report.errors:
        say(f"No connectors in {the_home.root}. Import one with `ecmahost connector import FILE`.")
        return
    table = Table(title=f"Connectors in {the_home.root}")
    for column in ("Name", "Type", "Object types", "Token", "Tenant URL path", "Status"):
        table.add_column(column, no_wrap=column in {"Name", "Tenant URL path"})
    for name in sorted([*report.configs, *report.errors]):
        config = report.configs.get(name)
        if config is None:
            table.add_row(name, "?", "", "", scim_path(name), f"invalid: `ecmahost connector show {name}`")
        else:
            token = "set" if config.token else "NOT SET"
            table.add_row(name, config.type, ", ".join(config.object_types), token, scim_path(name), "ok")
    stdout.print(table)


@app.command()
def show(name: NameArgument, home: HomeOption = None) -> None:
    """Print a connector file with its secrets masked, then any problem found in it."""
    from ecmahost.config import secrets, yaml_io
    from ecmahost.config.store import ConnectorStore

    with reported_errors():
        store = ConnectorStore(open_home(home))
        raw = store.read_raw(name)
    connection = raw.get("connection")
    if isinstance(connection, yaml_io.CommentedMap):
        secrets.mask_for_display(connection)
    token = raw.get("token")
    if isinstance(token, yaml_io.CommentedMap) and "hash" in token:
        token["hash"] = secrets.MASK
    sys.stdout.write(yaml_io.dump(raw))
    try:
        store.load(name, require_env=False)
    except Exception as exc:
        warn(f"this connector cannot be served yet:\n{exc}")


@app.command()
def export(
    name: NameArgument,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of stdout.", dir_okay=False)
    ] = None,
    include_secrets: Annotated[
        bool,
        typer.Option(
            "--include-secrets",
            help="Write encrypted secrets and the token hash in plain text (to move a connector to another "
            "host); default: secrets become <redacted>.",
        ),
    ] = False,
    home: HomeOption = None,
) -> None:
    """Export a connector file for another host. Environment references (${env:VAR}) stay as they are."""
    from ecmahost.config.store import ConnectorStore
    from ecmahost.home import write_private

    with reported_errors():
        text = ConnectorStore(open_home(home)).export(name, include_secrets=include_secrets)
        if include_secrets:
            warn("the export contains secrets in plain text: keep it private and delete it after the import")
        if out is None:
            sys.stdout.write(text)
        else:
            write_private(out, text, mode=0o600 if include_secrets else 0o644)
            say(f"Exported {name} to {out}")


@app.command("import")
def import_connector(
    file: Annotated[Path, typer.Argument(help="Connector file to import; - reads stdin.", dir_okay=False)],
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite a connector of the same name.")] = False,
    name: Annotated[
        str | None, typer.Option("--name", help="Import under this name instead of the file's `name`.")
    ] = None,
    skip_target_check: Annotated[
        bool,
        typer.Option(
            "--skip-target-check",
            help="Import without checking the file against its target (when it cannot be reached from here); the "
            "host checks it when it loads the file.",
        ),
    ] = False,
    home: HomeOption = None,
) -> None:
    """Import a connector file: it is validated fully and checked against its target first; plain-text secrets in
    it are encrypted."""
    from ecmahost.config.store import ConnectorStore

    with reported_errors():
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        source = "<stdin>" if str(file) == "-" else str(file)
        store = ConnectorStore(open_home(home))
        if not skip_target_check:
            _check_import(store, text, name, source)
        config = store.import_(text, replace=replace, name=name, source=source)
    if skip_target_check:
        warn("imported without checking it against its target: `ecmahost test-connection` checks it later")
    say(f"Imported connector {config.name}: {scim_path(config.name)}")
    if config.token is None:
        say(f"Next: set its token with `ecmahost connector set-token {config.name} --generate`.")


def _check_import(store: ConnectorStore, text: str, name: str | None, source: str) -> None:
    """Refuse a file that does not match its target (or whose target cannot be asked), before anything is
    written."""
    import asyncio

    from ecmahost.troubleshoot.target_check import import_refusal

    error = asyncio.run(import_refusal(text, store.home, name=name, source=source))
    if error is not None:
        fail(f"nothing was imported: the connector does not work against its target yet:\n{error}")


@app.command()
def delete(
    name: NameArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    home: HomeOption = None,
) -> None:
    """Delete a connector file (the target's data is not touched)."""
    from ecmahost.config.store import ConnectorStore

    with reported_errors():
        store = ConnectorStore(open_home(home))
        if not store.exists(name):
            store.read_raw(name)  # raises ConnectorNotFound with the known names
        if not yes and not typer.confirm(f"Delete connector {name}?", default=False):
            fail("not deleted")
        store.delete(name)
    say(f"Deleted connector {name}")


@app.command("set-token")
def set_token(
    name: NameArgument,
    generate: Annotated[bool, typer.Option("--generate", help="Generate a random token and print it once.")] = False,
    token_file: Annotated[
        Path | None,
        typer.Option("--token-file", help="Read the token from the first line of this file; - reads stdin."),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Set the connector's secret token (Entra's "Secret Token"). Only a salted hash is stored.

    Without --generate or --token-file, the token is asked for with a hidden prompt."""
    from ecmahost.config.store import ConnectorStore
    from ecmahost.config.tokens import generate_token, validate_token

    if generate and token_file is not None:
        fail("use either --generate or --token-file, not both")
    with reported_errors():
        store = ConnectorStore(open_home(home))
        if not store.exists(name):
            store.read_raw(name)
        if generate:
            token = generate_token()
        elif token_file is not None:
            text = sys.stdin.read() if str(token_file) == "-" else token_file.read_text(encoding="utf-8")
            token = text.splitlines()[0] if text else ""
        else:
            token = typer.prompt("Token", hide_input=True, confirmation_prompt=True)
        validate_token(token)
        store.set_token(name, token)
    if generate:
        stdout.print(token, markup=False, highlight=False)
        stderr.print(
            f"Token set for {name}. It is shown only this once and is not stored: copy it into Entra's "
            "Secret Token field now.",
            markup=False,
        )
    else:
        say(f"Token set for {name}.")


@app.command("set-secret")
def set_secret(
    name: NameArgument,
    field: Annotated[str, typer.Argument(help="Connection field to set, e.g. password or options.bind_password.")],
    from_env: Annotated[
        str | None,
        typer.Option("--from-env", metavar="VAR", help="Take the value from this environment variable."),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Store a connection secret encrypted in the connector file (comments are kept).

    Without --from-env, the value is asked for with a hidden prompt. To keep the value out of the file
    entirely, write `${env:VAR}` in the file instead."""
    from ecmahost.config.store import ConnectorStore

    with reported_errors():
        store = ConnectorStore(open_home(home))
        if not store.exists(name):
            store.read_raw(name)
        if from_env is not None:
            if from_env not in os.environ:
                fail(f"environment variable {from_env} is not set")
            value = os.environ[from_env]
        else:
            value = typer.prompt(f"Value of {field}", hide_input=True, confirmation_prompt=True)
        if not value:
            fail("the value is empty")
        store.set_secret(name, field, value)
    say(f"Secret {field} of {name} stored encrypted.")


app.command("discover")(discover.discover_command)
app.command("new")(connector_new.new)
app.command("edit")(connector_new.edit)
