"""`ecmahost demo --target URL --password-env VAR` reaches a database that needs a password (a MariaDB account
made for the test): the tables are created with it, the connector file references `${env:VAR}` (the password is
never written) and the saved connector serves; a missing variable or a password in the URL is refused first."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from ecmahost.cli.demo import prepare_demo
from ecmahost.cli.main import app
from ecmahost.home import Home
from ecmahost.host import EMBEDDED, Host
from ecmahost.settings import HostSettings

from support.databases import MARIADB_ADMIN_URL, mariadb_database

TOKEN = "demo-password-env-token-01"
VARIABLE = "ECMAHOST_TEST_DEMO_DB_PASSWORD"


@pytest.fixture
def home(tmp_path: Path) -> Home:
    where = Home(tmp_path / "home")
    where.ensure()
    return where


@pytest.fixture
def protected_database() -> Iterator[tuple[str, str]]:
    """(URL without password, password) of a MariaDB database only an account with a password may use."""
    with mariadb_database() as url:
        database = make_url(url).database
        user, password = f"demo_{secrets.token_hex(4)}", secrets.token_urlsafe(12)
        admin = sa.create_engine(MARIADB_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                # names generated above; the password is bound
                conn.execute(sa.text(f"CREATE USER '{user}'@'%' IDENTIFIED BY :password"), {"password": password})
                conn.execute(sa.text(f"GRANT ALL ON `{database}`.* TO '{user}'@'%'"))
            yield str(make_url(url).set(username=user)), password
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP USER IF EXISTS '{user}'@'%'"))
            admin.dispose()


def test_demo_reaches_a_database_that_needs_a_password(
    home: Home, protected_database: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, password = protected_database
    monkeypatch.setenv(VARIABLE, password)
    prepare_demo(home, token=TOKEN, target=url, password_env=VARIABLE)
    text = (home.connectors_dir / "demo.yaml").read_text()
    assert f"password: ${{env:{VARIABLE}}}" in text
    assert password not in text
    host = Host(home, EMBEDDED, settings=HostSettings()).app()

    async def create_alice() -> httpx.Response:
        async with host.router.lifespan_context(host):
            transport = httpx.ASGITransport(app=host)
            headers = {"Authorization": f"Bearer {TOKEN}"}
            async with httpx.AsyncClient(transport=transport, base_url="https://testserver", headers=headers) as client:
                body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "alice"}
                return await client.post("/ecma2host_demo/scim/Users", json=body)

    assert asyncio.run(create_alice()).status_code == 201


def test_demo_refuses_a_password_variable_that_is_not_set(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VARIABLE, raising=False)
    target = ["--target", "mysql://someone@127.0.0.1:3306/nowhere", "--password-env", VARIABLE]
    result = CliRunner().invoke(app, ["demo", "--home", str(home.root), *target])
    assert result.exit_code == 1
    assert f"--password-env {VARIABLE}: that environment variable is not set" in result.output


def test_demo_refuses_a_password_in_the_url(home: Home) -> None:
    target = ["--target", "mysql://someone:secret@127.0.0.1:3306/nowhere"]
    result = CliRunner().invoke(app, ["demo", "--home", str(home.root), *target])
    assert result.exit_code == 1
    assert "the URL contains a password; remove it and give --password-env VAR" in result.output
    assert "secret" not in result.output
