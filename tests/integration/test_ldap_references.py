"""The LDAP connector keeps names that point at entries right, against a real slapd: memberUid groups follow a
member's uid change, DN-valued `type: reference` attributes (`manager`) are anchors to the client and DNs in the
directory, and a DN template placeholder outside the first RDN (`ou={departmentNumber}`) moves the entry."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ecmahost.config.validation import validate_connector
from ecmahost.connectors.errors import ConstraintViolation
from ecmahost.connectors.ldap import LdapConnector
from ecmahost.connectors.ldap.dn import normalize
from ecmahost.connectors.query import MEMBERS, Change, Compare, Op, SearchQuery
from ecmahost.home import Home

from support.slapd import BASE_DN, GROUPS, PASSWORD_ENV, PEOPLE, ROOT_PASSWORD, Slapd, connector_file

pytestmark = [pytest.mark.ldap, pytest.mark.anyio]
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.fixture(autouse=True)
def _bind_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, ROOT_PASSWORD)


def _tag() -> str:
    return f"r{time.time_ns()}"


def _with_managers(raw: dict[str, Any]) -> dict[str, Any]:
    raw["object_types"]["User"]["attributes"]["manager"] = {"scim": f"{ENTERPRISE}:manager", "type": "reference"}
    return raw


def _with_posix_groups(raw: dict[str, Any]) -> dict[str, Any]:
    raw["object_types"]["Group"] = {
        "object_classes": ["posixGroup"],
        "base_dn": GROUPS,
        "dn_template": f"cn={{cn}},{GROUPS}",
        "member_attribute": "memberUid",
        "member_reference": "uid",
        "anchor": {"attribute": "entryUUID", "generate": "target"},
        "attributes": {
            "entryUUID": {"mutability": "readOnly", "case_exact": True},
            "cn": {"scim": "displayName", "required": True, "unique": True},
            "gidNumber": {"type": "integer", "required": True},
        },
    }
    return raw


async def _open(raw: dict[str, Any], home: Path) -> LdapConnector:
    config = validate_connector(raw, file=f"{raw['name']}.yaml", home=Home(home))
    connector = LdapConnector(config, home=home)
    await connector.open()
    return connector


@pytest.fixture
async def ldap(ldap_server: Slapd, tmp_path: Path) -> AsyncIterator[LdapConnector]:
    connector = await _open(_with_managers(connector_file(ldap_server)), tmp_path)
    yield connector
    await connector.close()


@pytest.fixture
async def posix(ldap_server: Slapd, tmp_path: Path) -> AsyncIterator[LdapConnector]:
    connector = await _open(_with_posix_groups(connector_file(ldap_server, "posix")), tmp_path)
    yield connector
    await connector.close()


def _stored(server: Slapd, dn: str, attribute: str) -> list[str]:
    """The raw values of `attribute` at `dn`, read by the test's own admin connection."""
    conn = server.admin()
    try:
        conn.search(dn, "(objectClass=*)", search_scope="BASE", attributes=[attribute])
        return [v.decode() for v in conn.response[0]["raw_attributes"].get(attribute, [])]
    finally:
        conn.unbind()


async def _user(c: LdapConnector, uid: str, **values: Any) -> dict[str, Any]:
    return await c.create("User", {"uid": uid, "givenName": "Given", "sn": "Family", **values})


# -- memberUid groups ------------------------------------------------------------------------------------------
async def test_memberuid_groups_follow_a_members_uid_change(posix: LdapConnector, ldap_server: Slapd) -> None:
    tag = _tag()
    member = await _user(posix, f"{tag}-old")
    group = await posix.create("Group", {"cn": f"{tag}-g", "gidNumber": 5000, MEMBERS: [member["entryUUID"]]})
    assert _stored(ldap_server, f"cn={tag}-g,{GROUPS}", "memberUid") == [f"{tag}-old"]

    await posix.update("User", member["entryUUID"], Change(set={"uid": f"{tag}-new"}))

    assert _stored(ldap_server, f"cn={tag}-g,{GROUPS}", "memberUid") == [f"{tag}-new"]
    fetched = await posix.get("Group", group["entryUUID"], frozenset({MEMBERS}))
    assert fetched[MEMBERS] == [member["entryUUID"]]


async def test_deleting_a_member_removes_its_uid_from_memberuid_groups(
    posix: LdapConnector, ldap_server: Slapd
) -> None:
    tag = _tag()
    leaver, stayer = await _user(posix, f"{tag}-a"), await _user(posix, f"{tag}-b")
    members = [leaver["entryUUID"], stayer["entryUUID"]]
    await posix.create("Group", {"cn": f"{tag}-g", "gidNumber": 5001, MEMBERS: members})
    await posix.delete("User", leaver["entryUUID"])
    assert _stored(ldap_server, f"cn={tag}-g,{GROUPS}", "memberUid") == [f"{tag}-b"]


# -- DN-valued references --------------------------------------------------------------------------------------
async def test_a_reference_is_stored_as_the_dn_and_returned_as_the_anchor(
    ldap: LdapConnector, ldap_server: Slapd
) -> None:
    tag = _tag()
    boss = await _user(ldap, f"{tag}-boss")
    employee = await _user(ldap, f"{tag}-emp", manager=boss["entryUUID"])
    assert employee["manager"] == boss["entryUUID"]
    assert _stored(ldap_server, employee["-dn-"], "manager") == [boss["-dn-"]]
    assert (await ldap.get("User", employee["entryUUID"]))["manager"] == boss["entryUUID"]


async def test_an_unknown_reference_anchor_is_a_constraint_violation(ldap: LdapConnector) -> None:
    with pytest.raises(ConstraintViolation, match="manager: 11111111-2222-3333-4444-555555555555 is not an existing"):
        await _user(ldap, _tag(), manager="11111111-2222-3333-4444-555555555555")


async def test_a_reference_can_be_changed_and_cleared(ldap: LdapConnector, ldap_server: Slapd) -> None:
    tag = _tag()
    first, second = await _user(ldap, f"{tag}-b1"), await _user(ldap, f"{tag}-b2")
    employee = await _user(ldap, f"{tag}-emp", manager=first["entryUUID"])
    await ldap.update("User", employee["entryUUID"], Change(set={"manager": second["entryUUID"]}))
    assert _stored(ldap_server, employee["-dn-"], "manager") == [second["-dn-"]]
    await ldap.update("User", employee["entryUUID"], Change(set={"manager": None}))
    assert _stored(ldap_server, employee["-dn-"], "manager") == []
    assert (await ldap.get("User", employee["entryUUID"]))["manager"] is None


async def test_filtering_on_a_reference_compares_the_anchor(ldap: LdapConnector) -> None:
    tag = _tag()
    boss = await _user(ldap, f"{tag}-boss")
    employee = await _user(ldap, f"{tag}-emp", manager=boss["entryUUID"])
    found = await ldap.search("User", SearchQuery(filter=Compare("manager", Op.EQ, boss["entryUUID"])))
    assert [r["entryUUID"] for r in found.records] == [employee["entryUUID"]]
    unknown = await ldap.search("User", SearchQuery(filter=Compare("manager", Op.EQ, "no-such-anchor")))
    assert unknown.total == 0
    with pytest.raises(ConstraintViolation, match="compare it with eq or ne only"):
        await ldap.search("User", SearchQuery(filter=Compare("manager", Op.CO, "x")))


async def test_a_reference_follows_the_rename_and_goes_with_the_delete_of_its_target(
    ldap: LdapConnector, ldap_server: Slapd
) -> None:
    tag = _tag()
    boss = await _user(ldap, f"{tag}-boss")
    employee = await _user(ldap, f"{tag}-emp", manager=boss["entryUUID"])
    await ldap.update("User", boss["entryUUID"], Change(set={"uid": f"{tag}-chief"}))
    assert _stored(ldap_server, employee["-dn-"], "manager") == [f"uid={tag}-chief,{PEOPLE}"]
    assert (await ldap.get("User", employee["entryUUID"]))["manager"] == boss["entryUUID"]
    await ldap.delete("User", boss["entryUUID"])
    assert _stored(ldap_server, employee["-dn-"], "manager") == []


# -- template placeholders outside the first RDN ---------------------------------------------------------------
def _by_department(server: Slapd, staff: str, **user_extra: object) -> dict[str, Any]:
    return connector_file(
        server, people=staff, dn_template=f"uid={{uid}},ou={{departmentNumber}},{staff}", **user_extra
    ) | {"name": "staff"}


def _with_department(raw: dict[str, Any]) -> dict[str, Any]:
    raw["object_types"]["User"]["attributes"]["departmentNumber"] = {}
    return raw


async def test_changing_a_placeholder_outside_the_first_rdn_moves_the_entry(ldap_server: Slapd, tmp_path: Path) -> None:
    tag = _tag()
    staff = f"ou={tag},{BASE_DN}"
    connector = await _open(_with_department(_by_department(ldap_server, staff, create_missing_ous=True)), tmp_path)
    try:
        user = await _user(connector, f"{tag}-u", departmentNumber="Sales")
        assert user["-dn-"] == f"uid={tag}-u,ou=Sales,{staff}"
        group = await connector.create("Group", {"cn": f"{tag}-g", MEMBERS: [user["entryUUID"]]})

        await connector.update("User", user["entryUUID"], Change(set={"departmentNumber": "R&D, Labs"}))

        moved = await connector.get("User", user["entryUUID"])
        assert normalize(moved["-dn-"]) == normalize(f"uid={tag}-u,ou=R&D\\, Labs,{staff}")
        assert moved["departmentNumber"] == "R&D, Labs"
        assert _stored(ldap_server, f"cn={tag}-g,{GROUPS}", "member") == [moved["-dn-"]]
        assert (await connector.get("Group", group["entryUUID"], frozenset({MEMBERS})))[MEMBERS] == [user["entryUUID"]]

        await connector.update("User", user["entryUUID"], Change(set={"uid": f"{tag}-v", "departmentNumber": "Ops"}))
        assert (await connector.get("User", user["entryUUID"]))["-dn-"] == f"uid={tag}-v,ou=Ops,{staff}"
    finally:
        await connector.close()


async def test_a_move_to_a_missing_ou_without_create_missing_ous_is_refused_and_changes_nothing(
    ldap_server: Slapd, tmp_path: Path
) -> None:
    tag = _tag()
    staff = f"ou={tag},{BASE_DN}"
    conn = ldap_server.admin()
    try:
        for dn in (staff, f"ou=Sales,{staff}"):
            conn.add(dn, ["organizationalUnit"], {"ou": dn.split(",")[0][3:]})
    finally:
        conn.unbind()
    connector = await _open(_with_department(_by_department(ldap_server, staff)), tmp_path)
    try:
        user = await _user(connector, f"{tag}-u", departmentNumber="Sales")
        with pytest.raises(ConstraintViolation, match="create_missing_ous"):
            await connector.update("User", user["entryUUID"], Change(set={"departmentNumber": "Nowhere"}))
        unchanged = await connector.get("User", user["entryUUID"])
        assert unchanged["-dn-"] == f"uid={tag}-u,ou=Sales,{staff}"
        assert unchanged["departmentNumber"] == "Sales"
        with pytest.raises(ConstraintViolation, match="departmentNumber is required"):
            await connector.update("User", user["entryUUID"], Change(set={"departmentNumber": None}))
    finally:
        await connector.close()
