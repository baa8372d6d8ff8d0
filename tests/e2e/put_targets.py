"""The targets the PUT end-to-end tests run on, each a real host over HTTPS with a way to read what the target
itself stores (not through the host): the demo connector on SQLite, PostgreSQL and MariaDB, the CSV example and
an LDAP connector on slapd. The tests speak of roles (`title`, `omitted`, `extension_only`, ...) that each target
maps to its own attribute names."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from ldap3 import BASE, SUBTREE
from sqlalchemy import create_engine, sql

from e2e_connectors import EXAMPLES, ConnectorHost, example, rest_target, start_connector_host
from e2e_host import RunningHost, start_demo_host
from support.slapd import PASSWORD_ENV, PEOPLE, ROOT_PASSWORD, Slapd, connector_file

SYNC_DRIVERS = {"postgresql://": "postgresql+psycopg://", "mysql://": "mysql+pymysql://"}


@dataclass
class PutTarget:
    host: RunningHost
    user_row: Callable[[str], dict[str, Any]]
    """anchor -> the stored attributes of that user, read from the target itself"""
    group_members: Callable[[str], set[str]]
    """group anchor -> the anchors of its members, read from the target itself"""
    columns: dict[str, str]
    """role -> the target attribute that plays it: title, omitted (a core attribute the complete PUT leaves out),
    extension_only (selected without a core path), login, anchor"""
    omitted: tuple[str, Any]
    """the core attribute the complete PUT leaves out, and the value the user is created with"""
    extension_only: Any
    """the value the user is created with for the extension-only attribute"""
    defaulted: str | None = None
    """a NOT NULL column with a default, served only in the extension view (the demo's IsSoftDeleted)"""
    required_missing: str = "userName"
    """a core attribute whose absence makes a PUT incomplete (400 naming it)"""
    members_must_exist: bool = True
    """the target refuses a member id that names no object (a REST API may store any id)"""
    stop: Callable[[], None] = field(default=lambda: None)


def _engine_url(url: str) -> str:
    for prefix, driver in SYNC_DRIVERS.items():
        if url.startswith(prefix):
            return driver + url[len(prefix) :]
    return url


def sql_target(home: Path, url: str | None) -> PutTarget:
    host = start_demo_host(home, url)
    engine = create_engine(_engine_url(url or f"sqlite:///{home / 'demo.db'}"))
    employees = sql.table(
        "Employees", *(sql.column(n) for n in ("InternalGUID", "Title", "NickName", "AzureID", "IsSoftDeleted"))
    )
    employees_more = ("ContosoLogin", "FirstName", "EmployeeNumber", "Active", "CreatedAt")
    for name in employees_more:
        employees.append_column(sql.column(name))
    links = sql.table("GroupMembers", sql.column("GroupGUID"), sql.column("MemberGUID"))
    phones = sql.table("EmployeePhoneNumbers", sql.column("EmployeeGUID"), sql.column("Value"))

    def user_row(anchor: str) -> dict[str, Any]:
        with engine.connect() as conn:
            row = conn.execute(sql.select(employees).where(employees.c.InternalGUID == anchor)).one()._asdict()
            row["phones"] = conn.execute(sql.select(phones.c.Value).where(phones.c.EmployeeGUID == anchor)).all()
        return row

    def group_members(group: str) -> set[str]:
        with engine.connect() as conn:
            return set(conn.execute(sql.select(links.c.MemberGUID).where(links.c.GroupGUID == group)).scalars())

    def stop() -> None:
        host.stop()
        engine.dispose()

    return PutTarget(
        host=host,
        user_row=user_row,
        group_members=group_members,
        columns={
            "title": "Title",
            "omitted": "NickName",
            "extension_only": "AzureID",
            "login": "ContosoLogin",
            "anchor": "InternalGUID",
        },
        omitted=("nickName", "Nick"),
        extension_only="az-1",
        defaulted="IsSoftDeleted",
        stop=stop,
    )


def csv_target(home: Path) -> PutTarget:
    raw = example("csv/people.yaml")
    raw["object_types"]["User"]["attributes"]["Notes"] = {}  # a column served only in the extension view
    host: ConnectorHost = start_connector_host(home, raw)
    folder = home / "data"

    def read(name: str) -> list[dict[str, str]]:
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    def user_row(anchor: str) -> dict[str, Any]:
        row = next(r for r in read("people.csv") if r["Id"] == anchor)
        return {k: (v if v != "" else None) for k, v in row.items()}

    def group_members(group: str) -> set[str]:
        row = next(r for r in read("groups.csv") if r["Id"] == group)
        return {m for m in row["Members"].split(";") if m}

    return PutTarget(
        host=host,
        user_row=user_row,
        group_members=group_members,
        columns={"title": "Title", "omitted": "NickName", "extension_only": "Notes", "login": "Login", "anchor": "Id"},
        omitted=("nickName", "Nick"),
        extension_only="note-1",
        stop=host.stop,
    )


LDAP_NAME = "OpenLDAP"


def ldap_target(home: Path, server: Slapd) -> PutTarget:
    os.environ[PASSWORD_ENV] = ROOT_PASSWORD  # the host (a child process) reads the bind password from it
    host: ConnectorHost = start_connector_host(home, connector_file(server, LDAP_NAME))
    wanted = ["entryUUID", "uid", "title", "mail", "telephoneNumber", "cn", "sn", "employeeNumber"]

    def entry(base: str, search_filter: str, scope: Any = SUBTREE, attributes: list[str] = wanted) -> Any:
        conn = server.admin()
        try:
            conn.search(base, search_filter, scope, attributes=attributes)
            return conn.entries[0] if conn.entries else None
        finally:
            conn.unbind()

    def user_row(anchor: str) -> dict[str, Any]:
        found = entry(PEOPLE, f"(entryUUID={anchor})")
        values = found.entry_attributes_as_dict
        return {k: (v[0] if len(v) == 1 else (v or None)) for k, v in values.items()} | {
            k: None for k in wanted if not values.get(k)
        }

    def group_members(group: str) -> set[str]:
        found = entry("dc=example,dc=org", f"(entryUUID={group})", attributes=["member"])
        anchors = set()
        for dn in found.entry_attributes_as_dict.get("member", []):
            member = entry(dn, "(objectClass=inetOrgPerson)", BASE, ["entryUUID"])
            if member is not None:
                anchors.add(str(member.entryUUID.value))
        return anchors

    return PutTarget(
        host=host,
        user_row=user_row,
        group_members=group_members,
        columns={
            "title": "title",
            "omitted": "mail",
            "extension_only": "telephoneNumber",
            "login": "uid",
            "anchor": "entryUUID",
        },
        omitted=("emails", [{"type": "work", "value": "omitted@example.org"}]),
        extension_only="+1 555 0100",
        required_missing="name.familyName",
        stop=host.stop,
    )


EXTRA = {"Title": {"scim": "title"}, "Notes": {}}
"""added to the script and REST examples: a title, and a field served only in the extension view"""
KIT_COLUMNS = {"title": "Title", "omitted": "NickName", "extension_only": "Notes", "login": "Login", "anchor": "Id"}


def script_target(home: Path) -> PutTarget:
    raw = example("scripts/python/connector.yaml")
    connection = raw["connection"]
    connection["command"] = [sys.executable, *connection["command"][1:]]
    connection["working_directory"] = str(EXAMPLES / "scripts" / "python")
    connection["parameters"] = {"DATA_FILE": str(home / "users.json")}
    raw["object_types"]["User"]["attributes"].update(EXTRA)
    host: ConnectorHost = start_connector_host(home, raw)

    def find(object_type: str, anchor: str) -> dict[str, Any]:
        data = json.loads((home / "users.json").read_text(encoding="utf-8"))
        return next(r for r in data[object_type] if r["Id"] == anchor)

    def user_row(anchor: str) -> dict[str, Any]:
        return {name: find("User", anchor).get(name) for name in KIT_COLUMNS.values()}

    return PutTarget(
        host=host,
        user_row=user_row,
        group_members=lambda group: set(find("Group", group).get("members") or []),
        columns=KIT_COLUMNS,
        omitted=("nickName", "Nick"),
        extension_only="note-1",
        stop=host.stop,
    )


def rest_put_target(home: Path) -> PutTarget:
    stack = ExitStack()
    root = stack.enter_context(rest_target())
    raw = example("rest/connector.yaml")
    raw["connection"] = {"base_url": f"{root}/open", "timeout_seconds": 20}
    user = raw["object_types"]["User"]
    user["attributes"].update(EXTRA)
    user["fields"].update({"Title": "/title", "Notes": "/notes"})
    host: ConnectorHost = start_connector_host(home, raw)
    stack.callback(host.stop)
    api = {"Id": "id", "Login": "userName", "Title": "title", "NickName": "nickName", "Notes": "notes"}

    def item(collection: str, anchor: str) -> dict[str, Any]:
        response = httpx.get(f"{root}/open/{collection}/{anchor}", timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def user_row(anchor: str) -> dict[str, Any]:
        stored = item("users", anchor)
        return {name: stored.get(key) for name, key in api.items()}

    return PutTarget(
        host=host,
        user_row=user_row,
        group_members=lambda group: {str(m) for m in item("groups", group).get("members") or []},
        columns=KIT_COLUMNS,
        omitted=("nickName", "Nick"),
        extension_only="note-1",
        members_must_exist=False,
        stop=stack.close,
    )
