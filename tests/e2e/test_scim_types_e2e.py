"""Values are rendered by the SCIM attribute's type, not by the target column's: on a table whose keys and
mapped columns are INTEGER, `id`, `externalId`, the enterprise `employeeNumber` and `manager.value`, a work
phone and a group's `members[].value` are JSON strings (RFC 7643 §2.3.1, §4.3), in both views, and a client that
sends them back as strings writes and finds the same numbers. Over HTTPS on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, create_engine, select
from sqlalchemy.engine import Engine, make_url

from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home
from ecmahost.tls import generate_certificate

from e2e_host import TOKEN, RunningHost
from e2e_serve import start_serve

pytestmark = pytest.mark.e2e

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ECMA_USER = "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:User"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
TARGETS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
]
SYNC_DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql", "sqlite": "sqlite"}


def _tables() -> MetaData:
    metadata = MetaData()
    Table(
        "staff",
        metadata,
        Column("staff_no", Integer, primary_key=True, autoincrement=True),
        Column("login", String(64), nullable=False, unique=True),
        Column("ext_ref", Integer),
        Column("emp_no", Integer),
        Column("boss", Integer),
        Column("phone", Integer),
    )
    Table(
        "crew",
        metadata,
        Column("crew_no", Integer, primary_key=True, autoincrement=True),
        Column("title", String(64), nullable=False, unique=True),
    )
    Table(
        "crew_staff",
        metadata,
        Column("crew_ref", Integer, ForeignKey("crew.crew_no"), primary_key=True),
        Column("staff_ref", Integer, ForeignKey("staff.staff_no"), primary_key=True),
    )
    return metadata


def _connector(url: str) -> dict[str, Any]:
    return {
        "name": "ints",
        "type": "sql",
        "connection": {"url": url},
        "object_types": {
            "User": {
                "table": "staff",
                "anchor": {"attribute": "staff_no", "generate": "target"},
                "attributes": {
                    "staff_no": {},
                    "login": {"scim": "userName", "required": True, "unique": True},
                    "ext_ref": {"scim": "externalId"},
                    "emp_no": {"scim": f"{ENTERPRISE}:employeeNumber"},
                    "boss": {"scim": f"{ENTERPRISE}:manager.value", "type": "reference"},
                    "phone": {"scim": 'phoneNumbers[type eq "work"].value'},
                },
            },
            "Group": {
                "table": "crew",
                "anchor": {"attribute": "crew_no", "generate": "target"},
                "attributes": {"crew_no": {}, "title": {"scim": "displayName", "required": True, "unique": True}},
                "members": {"table": "crew_staff", "group_key": "crew_ref", "member_key": "staff_ref"},
            },
        },
    }


@pytest.fixture(params=TARGETS)
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ints.db'}"
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def database(target_url: str) -> Iterator[tuple[MetaData, Engine]]:
    parsed = make_url(target_url)
    engine = create_engine(parsed.set(drivername=SYNC_DRIVERS[parsed.get_backend_name()]))
    metadata = _tables()
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield metadata, engine
    metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def scim(database: tuple[MetaData, Engine], target_url: str, tmp_path: Path) -> Iterator[httpx.Client]:
    home = Home(tmp_path / "home")
    home.ensure(home.connectors_dir)
    store = ConnectorStore(home)
    store.save(_connector(target_url))
    store.set_token("ints", TOKEN)
    generate_certificate(home, hostnames=["localhost"])
    host: RunningHost = start_serve(home.root)
    try:
        with httpx.Client(
            base_url=f"{host.root}/ecma2host_ints/scim",
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"},
            verify=host.tls(),
            timeout=30,
        ) as client:
            yield client
    finally:
        host.stop()


def _user(login: str, **more: Any) -> dict[str, Any]:
    return {"schemas": [CORE_USER, ENTERPRISE], "userName": login, **more}


def test_numbers_stored_in_integer_columns_are_strings_where_scim_says_string(
    scim: httpx.Client, database: tuple[MetaData, Engine]
) -> None:
    metadata, engine = database
    boss = scim.post("/Users", json=_user("boss", externalId="41"))
    assert boss.status_code == 201, boss.text
    boss_id = boss.json()["id"]
    assert isinstance(boss_id, str)
    created = scim.post(
        "/Users",
        json=_user(
            "ada",
            externalId="42",
            phoneNumbers=[{"type": "work", "value": "5550100"}],
            **{ENTERPRISE: {"employeeNumber": "7", "manager": {"value": boss_id}}},
        ),
    )
    assert created.status_code == 201, created.text
    ada = created.json()
    with engine.connect() as conn:
        staff = metadata.tables["staff"]
        row = conn.execute(select(staff).where(staff.c.login == "ada")).mappings().one()
    assert (row["ext_ref"], row["emp_no"], row["boss"], row["phone"]) == (42, 7, int(boss_id), 5550100)

    for shown in (ada, scim.get(f"/Users/{ada['id']}").json()):
        assert shown["externalId"] == "42"
        assert shown[ENTERPRISE]["employeeNumber"] == "7"
        assert shown[ENTERPRISE]["manager"]["value"] == boss_id
        assert shown["phoneNumbers"] == [{"type": "work", "value": "5550100"}]
        assert shown[ECMA_USER]["ext_ref"] == "42"
        assert shown[ECMA_USER]["staff_no"] == shown["id"]

    found = scim.get("/Users", params={"filter": 'externalId eq "42"'}).json()["Resources"]
    assert [u["id"] for u in found] == [ada["id"]]

    team = scim.post("/Groups", json={"schemas": [CORE_GROUP], "displayName": "ops", "members": [{"value": boss_id}]})
    assert team.status_code == 201, team.text
    assert team.json()["members"][0]["value"] == boss_id
    listed = scim.get(f"/Groups/{team.json()['id']}").json()
    assert [m["value"] for m in listed["members"]] == [boss_id]
