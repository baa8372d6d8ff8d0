"""`ecmahost demo`: the demo connector over a SQL target (embedded SQLite by default), ready for a first request."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Annotated

import typer

from ecmahost.cli.common import HomeOption, fail, open_home, reported_errors, say, warn
from ecmahost.demo import DEMO_NAME, DEMO_SQLITE_URL, demo_connector

# The SQL connector (SQLAlchemy), the store and the server are imported inside the functions that use them:
# every `ecmahost` run, `serve` too, imports all CLI modules first, so a module-level import here delays the host's
# start.
if TYPE_CHECKING:
    from ecmahost.home import Home

TokenOption = Annotated[
    str | None,
    typer.Option("--token", help="Secret token for the demo connector (default: a new one is generated and printed)."),
]
TargetOption = Annotated[
    str | None,
    typer.Option("--target", help="SQLAlchemy URL of the target database (default: SQLite demo.db in the home)."),
]


PasswordEnvOption = Annotated[
    str | None,
    typer.Option(
        "--password-env",
        help="Environment variable holding the target database's password (written as ${env:VAR}, never stored).",
    ),
]


def prepare_demo(
    home: Home, *, token: str | None, target: str | None, name: str = DEMO_NAME, password_env: str | None = None
) -> str:
    """Create tables, connector file, certificate and token; return the token to print."""
    import asyncio
    import os

    from ecmahost.config.store import ConnectorStore
    from ecmahost.config.tokens import generate_token, validate_token
    from ecmahost.config.validation import validate_connector
    from ecmahost.connectors.sql.demo_schema import create_demo_tables
    from ecmahost.tls import default_hostnames, generate_certificate

    url = target or DEMO_SQLITE_URL
    if _has_password(url):
        fail("--target: the URL contains a password; remove it and give --password-env VAR, the variable holding it")
    password = None
    if password_env:
        password = os.environ.get(password_env)
        if password is None:
            fail(f"--password-env {password_env}: that environment variable is not set; export it, then run again")
    home.root.mkdir(parents=True, exist_ok=True)
    store = ConnectorStore(home)
    connector = demo_connector(name, url, password_env)
    if not store.exists(name) or target:
        validate_connector(connector, file=store.file_label(name), home=home, expected_name=None, require_env=False)
    asyncio.run(create_demo_tables(url, home.root, password=password))
    if not store.exists(name) or target:
        store.save(connector)
    secret = validate_token(token) if token else generate_token()
    store.set_token(name, secret)
    if not home.cert_file.exists():
        generate_certificate(home, hostnames=default_hostnames())
    return secret


def _has_password(url: str) -> bool:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).password is not None
    except ArgumentError:
        return False  # not a URL: the connector file's validation says so


ALICE = (
    '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice",'
    '"name":{"givenName":"Alice","familyName":"Smith"},"emails":[{"type":"work","value":"alice@example.org"}]}'
)


def first_request(home: Home, port: int, token: str, name: str = DEMO_NAME) -> str:
    url = f"https://localhost:{port}/ecma2host_{name}/scim/Users?filter=userName%20eq%20%22alice%22"
    parts = ["curl", "--cacert", str(home.cert_file), "-H", f"Authorization: Bearer {token}", url]
    return shlex.join(parts)


def create_request(home: Home, port: int, token: str, name: str = DEMO_NAME) -> str:
    url = f"https://localhost:{port}/ecma2host_{name}/scim/Users"
    auth = f"Authorization: Bearer {token}"
    parts = ["curl", "--cacert", str(home.cert_file), "-H", auth, "-H", "Content-Type: application/scim+json"]
    return shlex.join([*parts, "-d", ALICE, url])


def demo_command(
    home: HomeOption = None,
    port: Annotated[int, typer.Option("--port", help="TCP port to serve on.")] = 8585,
    token: TokenOption = None,
    target: TargetOption = None,
    password_env: PasswordEnvOption = None,
) -> None:
    """Start the host with the demo connector: an Employees table (Microsoft's SQL tutorial) and groups."""
    from ecmahost.server import ServeOptions, serve

    with reported_errors():
        where = open_home(home)
        secret = prepare_demo(where, token=token, target=target, password_env=password_env)
        tenant = f"https://localhost:{port}/ecma2host_{DEMO_NAME}/scim"
        say(f"Tenant URL:    {tenant}")
        say(f"Secret token:  {secret}")
        say(f"Certificate:   {where.cert_file} (self-signed; trust it or pass --cacert)")
        say("First request (an empty ListResponse until you create alice):")
        say(f"  {first_request(where, port, secret)}")
        say("Create alice:")
        say(f"  {create_request(where, port, secret)}")
        if token is None:
            warn("the token is stored only as a hash: copy it now; a new one is made at each `ecmahost demo`")
        serve(where, ServeOptions(port=port, bind="127.0.0.1"))
