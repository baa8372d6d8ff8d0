"""The LDAP connector against a real slapd: the connector contract (uid, givenName, sn, mail, cn), plus LDAP
rules: renames, missing OUs, a 50,000-member group changed without reading its members, passwords, an outage
and recovery, discovery, multi-valued attributes and errors."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from ldap3 import MODIFY_ADD

from ecmahost.config.model import AttributeType, ConnectorConfig
from ecmahost.config.validation import validate_connector
from ecmahost.connectors.errors import ConstraintViolation, ObjectExists, ObjectNotFound, Problem, TargetUnavailable
from ecmahost.connectors.ldap import LdapConnector
from ecmahost.connectors.query import MEMBERS, Any_, Change, Compare, Op, SearchQuery
from ecmahost.home import Home

from contract import ConnectorContract, ContractNames
from support.slapd import BASE_DN, GROUPS, PASSWORD_ENV, PEOPLE, ROOT_PASSWORD, Slapd, connector_file, running_slapd

pytestmark = [pytest.mark.ldap, pytest.mark.anyio]

LDAP_NAMES = ContractNames(
    login="uid",
    given_name="givenName",
    family_name="sn",
    email="mail",
    group_name="cn",
    case_exact_login=False,  # uid compares with caseIgnoreMatch: the server's matching rule decides
)


@pytest.fixture(autouse=True)
def _bind_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, ROOT_PASSWORD)


def _config(raw: dict[str, Any], home: Path) -> ConnectorConfig:
    return validate_connector(raw, file=f"{raw['name']}.yaml", home=Home(home))


@pytest.fixture
async def ldap(ldap_server: Slapd, tmp_path: Path) -> AsyncIterator[LdapConnector]:
    connector = LdapConnector(_config(connector_file(ldap_server), tmp_path), home=tmp_path)
    await connector.open()
    yield connector
    await connector.close()


class TestLdapContract(ConnectorContract):
    @pytest.fixture
    def contract_names(self) -> ContractNames:
        return LDAP_NAMES

    @pytest.fixture
    async def contract_connector(self, ldap: LdapConnector) -> LdapConnector:
        return ldap


def _tag() -> str:
    return f"t{time.time_ns()}"


async def _user(c: LdapConnector, uid: str, **values: Any) -> dict[str, Any]:
    return await c.create("User", {"uid": uid, "givenName": "Given", "sn": "Family", **values})


# -- names and places ----------------------------------------------------------------------------------------------
async def test_changing_the_rdn_attribute_renames_the_entry_and_keeps_the_anchor(ldap: LdapConnector) -> None:
    tag = _tag()
    created = await _user(ldap, f"{tag}-old")
    anchor = created["entryUUID"]
    group = await ldap.create("Group", {"cn": f"{tag}-g", MEMBERS: [anchor]})
    await ldap.update("User", anchor, Change(set={"uid": f"{tag}-new", "givenName": "Renamed"}))
    fetched = await ldap.get("User", anchor)
    assert fetched["-dn-"] == f"uid={tag}-new,{PEOPLE}"
    assert fetched["uid"] == f"{tag}-new"
    assert fetched["givenName"] == "Renamed"
    assert (await ldap.get("Group", group["entryUUID"], frozenset({MEMBERS})))[MEMBERS] == [anchor]


async def test_a_failed_modify_after_a_rename_undoes_the_rename(ldap: LdapConnector) -> None:
    tag = _tag()
    anchor = (await _user(ldap, f"{tag}-a"))["entryUUID"]
    with pytest.raises(ConstraintViolation):
        await ldap.update("User", anchor, Change(set={"uid": f"{tag}-b", "mail": "ünïcode@example.com"}))  # IA5 only
    assert (await ldap.get("User", anchor))["-dn-"] == f"uid={tag}-a,{PEOPLE}"


async def test_missing_ous_are_created_when_configured(ldap_server: Slapd, tmp_path: Path) -> None:
    tag = _tag()
    people = f"ou={tag},ou=Staff,{BASE_DN}"
    raw = connector_file(ldap_server, people=people, create_missing_ous=True)
    connector = LdapConnector(_config(raw, tmp_path), home=tmp_path)
    try:
        created = await _user(connector, f"{tag}-a")
        assert created["-dn-"] == f"uid={tag}-a,{people}"
        await _user(connector, f"{tag}-b")  # the OUs exist now
    finally:
        await connector.close()


async def test_missing_ou_without_create_missing_ous_is_a_constraint_violation(
    ldap_server: Slapd, tmp_path: Path
) -> None:
    raw = connector_file(ldap_server, people=f"ou=Nowhere,{BASE_DN}")
    connector = LdapConnector(_config(raw, tmp_path), home=tmp_path)
    try:
        with pytest.raises(ConstraintViolation, match="create_missing_ous"):
            await _user(connector, _tag())
    finally:
        await connector.close()


async def test_dn_template_values_are_rdn_escaped(ldap: LdapConnector) -> None:
    uid = f'{_tag()},+="<>;\\#x '
    created = await _user(ldap, uid)
    assert created["uid"] == uid
    found = await ldap.search("User", SearchQuery(filter=Compare("uid", Op.EQ, uid)))
    assert [r["entryUUID"] for r in found.records] == [created["entryUUID"]]


# -- values ----------------------------------------------------------------------------------------------------
async def test_password_is_hashed_on_create_and_never_returned(ldap: LdapConnector, ldap_server: Slapd) -> None:
    created = await _user(ldap, _tag(), userPassword="Initial-Pa55")
    assert "userPassword" not in created
    assert "userPassword" not in await ldap.get("User", created["entryUUID"])
    conn = ldap_server.admin()
    try:
        conn.search(created["-dn-"], "(objectClass=*)", search_scope="BASE", attributes=["userPassword"])
        stored = conn.response[0]["raw_attributes"]["userPassword"][0]
    finally:
        conn.unbind()
    assert stored.startswith(b"{SSHA}")
    raw = base64.b64decode(stored[6:])
    digest, salt = raw[:20], raw[20:]
    assert hashlib.sha1(b"Initial-Pa55" + salt).digest() == digest  # noqa: S324 - checking the {SSHA} format


async def test_multi_valued_attributes_are_lists_and_single_valued_take_the_first(ldap: LdapConnector) -> None:
    created = await _user(ldap, _tag(), telephoneNumber=["+1 555 0100", "+1 555 0101"])
    assert sorted(created["telephoneNumber"]) == ["+1 555 0100", "+1 555 0101"]
    assert isinstance(created["uid"], str)
    await ldap.update("User", created["entryUUID"], Change(set={"telephoneNumber": ["+1 555 0199"]}))
    assert (await ldap.get("User", created["entryUUID"]))["telephoneNumber"] == ["+1 555 0199"]
    found = await ldap.search(
        "User", SearchQuery(filter=Any_("telephoneNumber", Compare("value", Op.EQ, "+1 555 0199")))
    )
    assert [r["entryUUID"] for r in found.records] == [created["entryUUID"]]


async def test_create_twice_raises_object_exists(ldap: LdapConnector) -> None:
    uid = _tag()
    await _user(ldap, uid)
    with pytest.raises(ObjectExists):
        await _user(ldap, uid)


async def test_schema_violation_is_a_constraint_violation_with_the_servers_message(ldap: LdapConnector) -> None:
    with pytest.raises(ConstraintViolation, match=r"(?i)attribute|syntax|object class"):
        await ldap.create("User", {"uid": _tag(), "givenName": "NoSurname"})  # inetOrgPerson requires sn


async def test_unknown_anchor_is_not_found_for_every_operation(ldap: LdapConnector) -> None:
    unknown = "11111111-2222-3333-4444-555555555555"
    for call in (
        ldap.get("User", unknown),
        ldap.update("User", unknown, Change(set={"givenName": "x"})),
        ldap.delete("User", unknown),
        ldap.get("User", "not-a-uuid"),
    ):
        with pytest.raises(ObjectNotFound):
            await call


# -- big groups ------------------------------------------------------------------------------------------------
@pytest.fixture
def big_group(ldap_server: Slapd) -> Iterator[str]:
    """A group with 50,000 member DNs, written directly to the directory."""
    cn = f"big-{_tag()}"
    dn = f"cn={cn},{GROUPS}"
    conn = ldap_server.admin()
    try:
        conn.add(dn, ["groupOfNames"], {"cn": cn, "member": [f"uid=m{i:05},{PEOPLE}" for i in range(50_000)]})
        assert conn.result["result"] == 0, conn.result
    finally:
        conn.unbind()
    yield cn
    conn = ldap_server.admin()
    try:
        conn.delete(dn)
    finally:
        conn.unbind()


async def test_changing_one_member_of_50000_does_not_read_the_members(
    ldap: LdapConnector, ldap_server: Slapd, big_group: str
) -> None:
    newcomer = (await _user(ldap, _tag()))["entryUUID"]
    found = await ldap.search("Group", SearchQuery(filter=Compare("cn", Op.EQ, big_group)))
    group = found.records[0]["entryUUID"]
    leaver_dn = f"uid=m00042,{PEOPLE}"
    leaver = await ldap.create("User", {"uid": "m00042", "givenName": "G", "sn": "S"})
    counters = ldap.pool.counters
    values_before, entries_sent_before = counters.values, ldap_server.entries_sent()
    started = time.monotonic()
    await ldap.update("Group", group, Change(add_members=[newcomer], remove_members=[leaver["entryUUID"]]))
    elapsed = time.monotonic() - started
    assert counters.values - values_before < 10, "the connector read member values"
    assert ldap_server.entries_sent() - entries_sent_before < 10, "the server sent more than a few entries"
    conn = ldap_server.admin()
    try:
        member = f"uid={(await ldap.get('User', newcomer))['uid']},{PEOPLE}"
        dn = f"cn={big_group},{GROUPS}"
        assert conn.compare(dn, "member", member)
        assert not conn.compare(dn, "member", leaver_dn)
        conn.modify(dn, {"member": [(MODIFY_ADD, [leaver_dn])]})  # put the DN back for the next run
    finally:
        conn.unbind()
    assert elapsed < 10
    await ldap.delete("User", leaver["entryUUID"])


# -- outage ----------------------------------------------------------------------------------------------------
async def test_outage_raises_target_unavailable_quickly_and_heals_after_restart(tmp_path: Path) -> None:
    with running_slapd(tmp_path / "own-slapd") as server:
        connector = LdapConnector(_config(connector_file(server), tmp_path), home=tmp_path)
        try:
            created = await _user(connector, _tag())
            server.stop()
            started = time.monotonic()
            for _ in range(3):
                with pytest.raises(TargetUnavailable):
                    await connector.get("User", created["entryUUID"])
            with pytest.raises(TargetUnavailable):
                await connector.check()
            assert time.monotonic() - started < 5
            server.start()
            assert (await connector.get("User", created["entryUUID"]))["uid"] == created["uid"]
            await connector.check()
        finally:
            await connector.close()


async def test_stale_pooled_connections_heal_without_an_error(tmp_path: Path) -> None:
    with running_slapd(tmp_path / "own-slapd") as server:
        connector = LdapConnector(_config(connector_file(server), tmp_path), home=tmp_path)
        try:
            created = await _user(connector, _tag())
            server.restart()
            assert (await connector.get("User", created["entryUUID"]))["uid"] == created["uid"]
        finally:
            await connector.close()


async def test_wrong_bind_password_is_a_configuration_error_without_the_password(
    ldap_server: Slapd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecmahost.connectors.errors import ConfigurationError

    monkeypatch.setenv(PASSWORD_ENV, "wrong-password-xyz")
    connector = LdapConnector(_config(connector_file(ldap_server), tmp_path), home=tmp_path)
    try:
        with pytest.raises(ConfigurationError) as raised:
            await connector.check()
        assert "wrong-password-xyz" not in str(raised.value)
    finally:
        await connector.close()


# -- discovery ---------------------------------------------------------------------------------------------------
async def test_discovery_reads_classes_attributes_and_server_facts(ldap: LdapConnector) -> None:
    await ldap.check()
    schema = await ldap.discover()
    classes = {c.name: c for c in schema.object_classes}
    assert classes["inetOrgPerson"].kind == "structural"
    assert classes["posixAccount"].kind == "auxiliary"
    person = {a.name: a for a in classes["inetOrgPerson"].attributes}
    assert person["sn"].required
    assert person["cn"].required
    assert not person["mail"].required
    assert person["mail"].multi_valued
    assert not person["displayName"].multi_valued
    assert person["entryUUID"].generated
    assert person["jpegPhoto"].type is AttributeType.BINARY
    group = {a.name: a for a in classes["groupOfNames"].attributes}
    assert group["member"].type is AttributeType.REFERENCE
    assert schema.detail["naming_contexts"] == BASE_DN
    assert schema.detail["paged_results"] == "yes"


async def test_writes_after_verify_and_discovery_behave_as_before(ldap: LdapConnector) -> None:
    """verify and discover read the subschema without attaching it to the pooled connection they ran on: ldap3
    would otherwise check that connection's later writes against the schema itself (a mail of the wrong syntax
    raised on the client) instead of sending them as every other connection does."""
    assert await ldap.verify() == []
    await ldap.discover()
    assert all(conn.server.schema is None for conn in ldap.pool._idle)
    with pytest.raises(ConstraintViolation, match="mail"):
        await _user(ldap, _tag(), mail="ünïcode@example.org")  # IA5 String: the server refuses it
    uid = _tag()
    created = await _user(ldap, uid, mail=f"{uid}@example.org")
    await ldap.update("User", created["entryUUID"], Change(set={"givenName": "Changed"}))
    assert (await ldap.get("User", created["entryUUID"]))["givenName"] == "Changed"
    assert all(conn.server.schema is None for conn in ldap.pool._idle)


async def test_removing_an_attribute_with_a_create_default_writes_the_default_again(
    ldap: LdapConnector, ldap_server: Slapd, tmp_path: Path
) -> None:
    """cn is a MUST of inetOrgPerson, filled from `create_defaults: {cn: "{uid}"}` on create: a PATCH remove of
    displayName (cn) writes that value again instead of asking the directory to delete a required attribute."""
    uid = _tag()
    created = await _user(ldap, uid, cn="Shown Name")
    anchor = created["entryUUID"]
    await ldap.update("User", anchor, Change(set={"cn": None, "givenName": "Still"}))
    found = await ldap.get("User", anchor)
    assert (found["cn"], found["givenName"]) == (uid, "Still")

    titled = LdapConnector(
        _config(connector_file(ldap_server, "titled", create_defaults={"cn": "{title}"}), tmp_path), home=tmp_path
    )
    await titled.open()
    try:
        with pytest.raises(ConstraintViolation) as refused:
            await titled.update("User", anchor, Change(set={"cn": None, "givenName": "Changed"}))
        assert (refused.value.attribute, refused.value.problem) == ("cn", Problem.REQUIRED)
        assert refused.value.detail.startswith("cn cannot be removed")
        await titled.update("User", anchor, Change(set={"cn": None, "title": "Engineer"}))
    finally:
        await titled.close()
    found = await ldap.get("User", anchor)
    assert (found["cn"], found["givenName"], found["title"]) == ("Engineer", "Still", "Engineer")
