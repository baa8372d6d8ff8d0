"""`ecmahost connector new --no-input` on schemas the wizard was not designed on (`schemas.py`), on SQLite,
PostgreSQL and MariaDB: the saved connector is loaded into the real app and serves a standard SCIM client
(POST /Users without id, POST /Groups with members stored in the link table, disable); where the facts cannot
tell, `--no-input` refuses with the answer to give instead of saving something that cannot serve."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from schemas import create, cryptic, hr, snake
from typer.testing import CliRunner

from ecmahost.cli.main import app
from ecmahost.config.model import AnchorGeneration, SchemaViews
from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home
from ecmahost.host import EMBEDDED, Host
from ecmahost.settings import HostSettings

from support.databases import mariadb_database, postgres_database

TOKEN = "wizard-schemas-token-0123"


@pytest.fixture
def home(tmp_path: Path) -> Home:
    where = Home(tmp_path / "home")
    where.ensure()
    return where


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def database(request: pytest.FixtureRequest, home: Home) -> Iterator[str]:
    """A SQLAlchemy URL (as the connector file names it) of an empty database."""
    if request.param == "sqlite":
        yield "sqlite:///hr.db"
        return
    with (postgres_database if request.param == "postgresql" else mariadb_database)() as url:
        yield url


def engine_url(url: str, home: Home) -> str:
    """The connector file's URL as this test opens it: the SQLite file in the home, MariaDB through PyMySQL."""
    if url.startswith("sqlite"):
        return f"sqlite:///{home.root / url.removeprefix('sqlite:///')}"
    return url.replace("mysql://", "mysql+pymysql://", 1)


def new(home: Home, url: str, *args: str) -> Any:
    command = ["connector", "new", "--no-input", "--no-token", "--name", "app", "--type", "sql", "--url", url]
    return CliRunner().invoke(app, [*command, *args, "--home", str(home.root)])


def serve(home: Home, requests: Callable[[httpx.AsyncClient], Any]) -> Any:
    """Load the saved connector into the real app (in process) and run `requests` against it."""
    ConnectorStore(home).set_token("app", TOKEN)
    host = Host(home, EMBEDDED, settings=HostSettings()).app()

    async def run() -> Any:
        async with host.router.lifespan_context(host):
            transport = httpx.ASGITransport(app=host)
            headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"}
            base = "https://testserver/ecma2host_app/scim"
            async with httpx.AsyncClient(transport=transport, base_url=base, headers=headers) as client:
                return await requests(client)

    return asyncio.run(run())


def rows(url: str, home: Home, statement: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(engine_url(url, home))
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(statement))]
    finally:
        engine.dispose()


USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "ada@example.org",
    "name": {"givenName": "Ada", "familyName": "Lovelace"},
    "emails": [{"type": "work", "value": "ada@example.org", "primary": True}],
    "active": True,
}


async def provision(client: httpx.AsyncClient, group_name: str = "Engineers") -> dict[str, Any]:
    """Create a user (no id), a group with that member, disable the user; what each answered."""
    created = await client.post("/Users", json=USER)
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": group_name}
    group["members"] = [{"value": user_id}]  # type: ignore[assignment]
    made = await client.post("/Groups", json=group)
    assert made.status_code == 201, made.text
    disable = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    patched = await client.patch(f"/Users/{user_id}", json=disable)
    assert patched.status_code in (200, 204), patched.text
    found = await client.get("/Users", params={"filter": 'userName eq "ada@example.org"'})
    return {"user": created.json(), "group": made.json(), "found": found.json()}


def test_the_hr_schema_gets_a_generated_anchor_and_the_link_tables_keys(home: Home, database: str) -> None:
    create(engine_url(database, home), hr())
    result = new(home, database, "--object-type", "User=People", "--object-type", "Group=Teams")
    assert result.exit_code == 0, result.output
    config = ConnectorStore(home).load("app")
    user, group = config.object_types["User"], config.object_types["Group"]
    assert (user.anchor.attribute, user.anchor.generate) == ("PersonId", AnchorGeneration.UUID)
    assert (group.target.members.table, group.target.members.group_key, group.target.members.member_key) == (
        "TeamMembers",
        "Team",
        "Person",
    )
    assert user.attributes["GivenName"].scim == "name.givenName"
    assert group.attributes["TeamName"].scim == "displayName"
    answered = serve(home, provision)
    user_id, group_id = answered["user"]["id"], answered["group"]["id"]
    assert answered["found"]["totalResults"] == 1
    assert answered["found"]["Resources"][0]["active"] is False
    assert rows(database, home, 'SELECT "Team", "Person" FROM "TeamMembers"'.replace('"', _quote(database))) == [
        (group_id, user_id)
    ]


def _quote(url: str) -> str:
    return "`" if url.startswith("mysql") else '"'


def test_the_hr_schema_with_the_link_table_named_fills_its_keys(home: Home) -> None:
    create(engine_url("sqlite:///hr.db", home), hr())
    args = [
        "--object-type",
        "User=People",
        "--object-type",
        "Group=Teams",
        "--option",
        "Group:members_table=TeamMembers",
    ]
    result = new(home, "sqlite:///hr.db", *args, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "group_key: Team\n" in result.output
    assert "member_key: Person\n" in result.output
    assert "generate: none" not in result.output


def test_the_snake_case_schema_with_identity_keys_serves(home: Home, database: str) -> None:
    create(engine_url(database, home), snake())
    result = new(home, database, "--object-type", "User=app_user", "--object-type", "Group=app_group")
    assert result.exit_code == 0, result.output
    user = ConnectorStore(home).load("app").object_types["User"]
    assert (user.anchor.attribute, user.anchor.generate) == ("id", AnchorGeneration.TARGET)
    assert user.target.timestamps.created == "created_at"
    assert user.target.timestamps.modified == "updated_at"
    assert user.deprovisioning.disable.kind.value == "set"
    answered = serve(home, provision)
    assert answered["user"]["meta"]["created"]
    members = rows(database, home, "SELECT group_id, user_id FROM app_group_member")
    assert [(str(g), str(u)) for g, u in members] == [(answered["group"]["id"], answered["user"]["id"])]
    assert rows(database, home, "SELECT is_enabled FROM app_user") in ([(False,)], [(0,)])


def test_a_schema_with_no_telling_names_gets_a_minimal_valid_connector(home: Home) -> None:
    create(engine_url("sqlite:///c.db", home), cryptic())
    result = new(home, "sqlite:///c.db", "--object-type", "User=t_acct")
    assert result.exit_code == 0, result.output
    user = ConnectorStore(home).load("app").object_types["User"]
    assert (user.anchor.attribute, user.anchor.generate) == ("acct_key", AnchorGeneration.UUID)
    assert user.attributes["lgn"].scim == "userName"

    async def create_one(client: httpx.AsyncClient) -> httpx.Response:
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u1"}
        return await client.post("/Users", json=body)

    assert serve(home, create_one).status_code == 201


def test_no_input_refuses_when_the_login_cannot_be_told(home: Home) -> None:
    create(engine_url("sqlite:///c.db", home), cryptic(unique_login=False))
    result = new(home, "sqlite:///c.db", "--object-type", "User=t_acct")
    assert result.exit_code == 1
    assert "no attribute is mapped to userName" in result.output
    assert "--map User:ATTRIBUTE=userName" in result.output
    assert not (home.connectors_dir / "app.yaml").exists()
    fixed = new(home, "sqlite:///c.db", "--object-type", "User=t_acct", "--map", "User:lgn=userName")
    assert fixed.exit_code == 0, fixed.output


def test_no_input_refuses_an_anchor_nobody_produces_until_the_admin_says(home: Home) -> None:
    create(engine_url("sqlite:///c.db", home), cryptic())
    result = new(home, "sqlite:///c.db", "--object-type", "User=t_num")
    assert result.exit_code == 1
    assert "num_key" in result.output
    assert "--anchor-generate User=uuid|target|none" in result.output
    args = ["--object-type", "User=t_num", "--anchor-generate", "User=none", "--map", "User:num_key=externalId"]
    fixed = new(home, "sqlite:///c.db", *args)
    assert fixed.exit_code == 0, fixed.output
    assert ConnectorStore(home).load("app").object_types["User"].anchor.generate is AnchorGeneration.NONE


def test_an_unknown_anchor_generation_is_refused_with_the_choices(home: Home) -> None:
    create(engine_url("sqlite:///hr.db", home), hr())
    result = new(home, "sqlite:///hr.db", "--object-type", "User=People", "--anchor-generate", "User=random")
    assert result.exit_code == 1
    assert "use uuid, target or none" in result.output


def test_the_prompts_ask_who_produces_an_anchor_the_facts_do_not_settle(home: Home) -> None:
    create(engine_url("sqlite:///c.db", home), cryptic())
    command = ["connector", "new", "--no-token", "--name", "app", "--type", "sql", "--url", "sqlite:///c.db"]
    answers = [
        "",  # description
        "Core",  # SCIM views (any case)
        "",  # User: child tables
        "num_key=externalId",  # also expose: the client's id
        "",  # anchor: num_key
        "random",  # its value comes from: refused, asked again
        "none",
        "",  # on disable
    ]
    result = CliRunner().invoke(
        app, [*command, "--object-type", "User=t_num", "--home", str(home.root)], input="\n".join(answers) + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "num_key (BIGINT) has no default or identity" in result.output
    assert "answer uuid, target or none" in result.output
    config = ConnectorStore(home).load("app")
    assert config.views is SchemaViews.CORE
    user = config.object_types["User"]
    assert (user.anchor.attribute, user.anchor.generate) == ("num_key", AnchorGeneration.NONE)


def test_a_group_table_nothing_links_to_the_users_is_saved_without_members_and_said(home: Home) -> None:
    create(engine_url("sqlite:///c.db", home), cryptic())
    create(engine_url("sqlite:///c.db", home), snake())
    result = new(home, "sqlite:///c.db", "--object-type", "User=t_acct", "--object-type", "Group=app_group")
    assert result.exit_code == 0, result.output
    assert "groups get no members; name the link table with --option Group:members_table=TABLE" in result.output
    assert ConnectorStore(home).load("app").object_types["Group"].target.members is None


@pytest.mark.parametrize(
    ("default", "generate"),
    [(None, AnchorGeneration.UUID), (sa.text("gen_random_uuid()"), AnchorGeneration.TARGET)],
    ids=["host-generates", "database-default"],
)
def test_a_postgresql_uuid_key_is_generated_by_the_host_or_its_default(
    home: Home, default: Any, generate: AnchorGeneration
) -> None:
    metadata = sa.MetaData()
    key = sa.Column("acct_key", sa.Uuid(as_uuid=False), primary_key=True, server_default=default)
    sa.Table("t_acct", metadata, key, sa.Column("lgn", sa.String(40), nullable=False, unique=True))
    with postgres_database() as url:
        create(url, metadata)
        result = new(home, url, "--object-type", "User=t_acct")
        assert result.exit_code == 0, result.output
        assert ConnectorStore(home).load("app").object_types["User"].anchor.generate is generate

        async def create_and_find(client: httpx.AsyncClient) -> tuple[int, int]:
            body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u1"}
            created = await client.post("/Users", json=body)
            found = await client.get("/Users", params={"filter": 'userName eq "u1"'})
            return created.status_code, found.json()["totalResults"]

        assert serve(home, create_and_find) == (201, 1)


def test_a_computed_column_is_read_only_and_not_mapped(home: Home, database: str) -> None:
    joined = "concat(first_name, ' ', last_name)" if database.startswith("mysql") else "first_name || ' ' || last_name"
    metadata = sa.MetaData()
    sa.Table(
        "staff",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(40), nullable=False, unique=True),
        sa.Column("first_name", sa.String(40)),
        sa.Column("last_name", sa.String(40)),
        sa.Column("display_name", sa.String(90), sa.Computed(joined, persisted=True)),
    )
    create(engine_url(database, home), metadata)
    result = new(home, database, "--object-type", "User=staff")
    assert result.exit_code == 0, result.output
    display = ConnectorStore(home).load("app").object_types["User"].attributes["display_name"]
    assert (display.scim, display.mutability.value) == (None, "readOnly")

    async def create_one(client: httpx.AsyncClient) -> int:
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada"}
        body["name"] = {"givenName": "Ada", "familyName": "Lovelace"}  # type: ignore[assignment]
        return (await client.post("/Users", json=body)).status_code

    assert serve(home, create_one) == 201
    assert rows(database, home, "SELECT display_name FROM staff") == [("Ada Lovelace",)]
