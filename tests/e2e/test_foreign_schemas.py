"""Any schema, any client: on databases shaped unlike the demo, `ecmahost connector new --no-input` with only the
object types chosen makes a connector that serves a plain SCIM 2.0 client end to end: create, match, PUT, PATCH,
group membership, disable and delete, each checked in the database itself.

The client here is deliberately not Entra: core schema only, standard PATCH bodies, PUT for updates.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.engine import make_url

from e2e_host import TOKEN, RunningHost
from e2e_serve import ecmahost, start_serve
from foreign_schemas import SCHEMAS, ForeignSchema

pytestmark = pytest.mark.e2e

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
TARGETS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
]
SYNC_DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql", "sqlite": "sqlite"}


def _sync_engine(url: str) -> Engine:
    parsed = make_url(url)
    return create_engine(parsed.set(drivername=SYNC_DRIVERS[parsed.get_backend_name()]))


@pytest.fixture(params=TARGETS)
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'foreign.db'}"
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture(params=sorted(SCHEMAS))
def schema(request: pytest.FixtureRequest, target_url: str) -> Iterator[tuple[ForeignSchema, Engine]]:
    chosen = SCHEMAS[request.param]
    engine = _sync_engine(target_url)
    chosen.metadata.drop_all(engine)
    chosen.metadata.create_all(engine)
    yield chosen, engine
    chosen.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def served(schema: tuple[ForeignSchema, Engine], target_url: str, tmp_path: Path) -> Iterator[RunningHost]:
    """The admin's three commands: the wizard with only the object types chosen, a token, a certificate."""
    chosen, _ = schema
    home = tmp_path / "home"
    made = ecmahost(
        "connector", "new", "--no-input", "--no-token", "--home", str(home), "--name", "hr", "--type", "sql",
        "--url", target_url, "--object-type", f"User={chosen.users}", "--object-type", f"Group={chosen.groups}",
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    tokened = ecmahost("connector", "set-token", "hr", "--token-file", str(token_file), "--home", str(home))
    assert tokened.returncode == 0, tokened.stdout + tokened.stderr
    cert = ecmahost("cert", "generate", "--host", "localhost", "--home", str(home))
    assert cert.returncode == 0, cert.stdout + cert.stderr
    host = start_serve(home)
    yield host
    host.stop()


def _client(host: RunningHost) -> httpx.Client:
    return httpx.Client(
        base_url=f"{host.root}/ecma2host_hr/scim",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"},
        verify=host.tls(),
        timeout=30,
    )


def _user(login: str, given: str, family: str, *, active: bool = True) -> dict[str, Any]:
    return {
        "schemas": [CORE_USER],
        "userName": login,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"type": "work", "value": f"{login}@example.org", "primary": True}],
        "active": active,
    }


def _row(engine: Engine, schema: ForeignSchema, anchor: str) -> dict[str, Any] | None:
    table = schema.metadata.tables[schema.users]
    with engine.connect() as conn:
        found = conn.execute(select(table).where(table.c[schema.user_key] == _key(table, schema.user_key, anchor)))
        row = found.mappings().first()
    return dict(row) if row is not None else None


def _key(table: Any, column: str, anchor: str) -> Any:
    """The anchor as the key column holds it (an integer identity key comes back from SCIM as a string)."""
    return int(anchor) if issubclass(table.c[column].type.python_type, int) else anchor


def _members(engine: Engine, schema: ForeignSchema, group: str) -> set[str]:
    links = schema.metadata.tables[schema.links]
    groups = schema.metadata.tables[schema.groups]
    with engine.connect() as conn:
        rows = conn.execute(
            select(links.c[schema.link_user]).where(links.c[schema.link_group] == _key(groups, schema.group_key, group))
        )
        return {str(value) for (value,) in rows}


def _count(engine: Engine, schema: ForeignSchema, table_name: str) -> int:
    table = schema.metadata.tables[table_name]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_connector_made_with_only_the_object_types_serves_a_plain_scim_client(
    served: RunningHost, schema: tuple[ForeignSchema, Engine]
) -> None:
    chosen, engine = schema
    with _client(served) as scim:
        probe = scim.get("/Users", params={"filter": f'userName eq "{uuid.uuid4()}"'})
        assert probe.status_code == 200, probe.text
        assert probe.json()["totalResults"] == 0

        created = scim.post("/Users", json=_user("ada", "Ada", "Lovelace"))
        assert created.status_code == 201, created.text
        ada = created.json()["id"]
        row = _row(engine, chosen, ada)
        assert row is not None
        assert (row[chosen.login], row[chosen.given], row[chosen.family]) == ("ada", "Ada", "Lovelace")
        assert row[chosen.mail] == "ada@example.org"

        matched = scim.get("/Users", params={"filter": 'userName eq "ada"'})
        assert [r["id"] for r in matched.json()["Resources"]] == [ada]

        replaced = scim.put(f"/Users/{ada}", json=_user("ada", "Ada", "King"))
        assert replaced.status_code == 200, replaced.text
        assert replaced.json()["name"]["familyName"] == "King"
        assert _row(engine, chosen, ada)[chosen.family] == "King"

        patched = scim.patch(
            f"/Users/{ada}",
            json={
                "schemas": [PATCH_OP],
                "Operations": [{"op": "replace", "path": "name.givenName", "value": "Augusta"}],
            },
        )
        assert patched.status_code == 200, patched.text
        assert _row(engine, chosen, ada)[chosen.given] == "Augusta"

        grace = scim.post("/Users", json=_user("grace", "Grace", "Hopper")).json()["id"]
        team = scim.post(
            "/Groups", json={"schemas": [CORE_GROUP], "displayName": "Engineers", "members": [{"value": ada}]}
        )
        assert team.status_code == 201, team.text
        team_id = team.json()["id"]
        assert _members(engine, chosen, team_id) == {ada}

        added = scim.patch(
            f"/Groups/{team_id}",
            json={"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": grace}]}]},
        )
        assert added.status_code in (200, 204), added.text
        assert _members(engine, chosen, team_id) == {ada, grace}
        removed = scim.patch(
            f"/Groups/{team_id}",
            json={"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": f'members[value eq "{ada}"]'}]},
        )
        assert removed.status_code in (200, 204), removed.text
        assert _members(engine, chosen, team_id) == {grace}
        listed = scim.get(f"/Groups/{team_id}").json()
        assert [m["value"] for m in listed["members"]] == [grace]

        disabled = scim.patch(
            f"/Users/{grace}",
            json={"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": False}]},
        )
        assert disabled.status_code == 200, disabled.text
        assert disabled.json()["active"] is False
        assert not _row(engine, chosen, grace)[chosen.enabled]

        assert scim.delete(f"/Users/{grace}").status_code == 204
        assert _row(engine, chosen, grace) is None
        assert _members(engine, chosen, team_id) == set()
        assert scim.get(f"/Users/{grace}").status_code == 404
        assert scim.delete(f"/Groups/{team_id}").status_code == 204
        assert _count(engine, chosen, chosen.groups) == 0


def test_bad_input_on_a_foreign_schema_gets_a_scim_error_naming_what_to_fix(
    served: RunningHost, schema: tuple[ForeignSchema, Engine]
) -> None:
    chosen, engine = schema
    with _client(served) as scim:
        ada = scim.post("/Users", json=_user("ada", "Ada", "Lovelace")).json()["id"]
        again = scim.post("/Users", json=_user("ada", "Other", "Person"))
        assert again.status_code == 409, again.text
        assert again.json()["scimType"] == "uniqueness"

        users = chosen.metadata.tables[chosen.users]
        missing = "987654" if issubclass(users.c[chosen.user_key].type.python_type, int) else str(uuid.uuid4())
        ghost = scim.post(
            "/Groups",
            json={"schemas": [CORE_GROUP], "displayName": "Ghosts", "members": [{"value": ada}, {"value": missing}]},
        )
        assert ghost.status_code == 400, ghost.text
        assert ghost.json()["scimType"] == "invalidValue"
        assert missing in ghost.json()["detail"]
        assert _count(engine, chosen, chosen.groups) == 0

        nameless = scim.post("/Users", json={"schemas": [CORE_USER], "name": {"givenName": "No"}})
        assert nameless.status_code == 400, nameless.text
        assert "userName" in nameless.json()["detail"]
        assert _count(engine, chosen, chosen.users) == 1
