"""The wizard against a real slapd: "Test" and discovery, the proposal saved as a connector that creates
entries, and `ecmahost connector new --type ldap` with flags and at the prompts writing the same file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecmahost.cli.main import app
from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.registry import connector_type
from ecmahost.home import Home
from ecmahost.wizard import discovery
from ecmahost.wizard.answers import ObjectTypeAnswers, apply_object_type
from ecmahost.wizard.draft import ConnectorDraft
from ecmahost.wizard.profiles import LDAP
from ecmahost.wizard.save import save_draft
from ecmahost.wizard.steps import full_issues

from support.slapd import BASE_DN, GROUPS, PASSWORD_ENV, PEOPLE, ROOT_DN, ROOT_PASSWORD, Slapd

pytestmark = pytest.mark.ldap


@pytest.fixture
def home(tmp_path: Path) -> Home:
    where = Home(tmp_path / "home")
    where.ensure()
    return where


def connectivity(server: Slapd, password: str = ROOT_PASSWORD) -> dict[str, str]:
    return {"host": "127.0.0.1", "port": str(server.port), "security": "none", "bind_dn": ROOT_DN, "password": password}


def ldap_draft(server: Slapd, home: Home, name: str = "dir") -> ConnectorDraft:
    draft = ConnectorDraft(name=name, type="ldap")
    LDAP.apply_connectivity(draft, connectivity(server), home)
    probe = asyncio.run(discovery.discover(draft, home))
    assert probe.ok, probe.message
    apply_object_type(draft, "User", ObjectTypeAnswers("inetOrgPerson", {"base_dn": PEOPLE}), LDAP, probe.schema)
    apply_object_type(draft, "Group", ObjectTypeAnswers("groupOfNames", {"base_dn": GROUPS}), LDAP, probe.schema)
    return draft


def test_the_test_button_binds_for_real_and_never_shows_the_password(ldap_server: Slapd, home: Home) -> None:
    draft = ConnectorDraft(name="dir", type="ldap")
    LDAP.apply_connectivity(draft, connectivity(ldap_server), home)
    assert asyncio.run(discovery.test_connectivity(draft, home)).ok
    LDAP.apply_connectivity(draft, connectivity(ldap_server, "wrong-password-123"), home)
    failed = asyncio.run(discovery.test_connectivity(draft, home))
    assert not failed.ok
    assert "wrong-password-123" not in failed.message


def test_discovery_lists_structural_and_auxiliary_classes_with_their_attributes(ldap_server: Slapd, home: Home) -> None:
    draft = ConnectorDraft(name="dir", type="ldap")
    LDAP.apply_connectivity(draft, connectivity(ldap_server), home)
    probe = asyncio.run(discovery.discover(draft, home))
    kinds = {item.name: item.kind for item in probe.schema.object_classes} if probe.schema else {}
    assert kinds["inetOrgPerson"] == "structural"
    assert kinds["posixAccount"] == "auxiliary"
    assert discovery.naming_contexts(probe.schema) == [BASE_DN]
    person = probe.object_class("inetOrgPerson")
    assert person is not None
    assert {"uid", "mail", "entryUUID"} <= {a.name for a in person.attributes}


def test_the_proposal_for_slapd_saves_a_connector_that_creates_entries(ldap_server: Slapd, home: Home) -> None:
    draft = ldap_draft(ldap_server, home)
    assert full_issues(draft, home) == []
    config = save_draft(ConnectorStore(home), draft)
    user = config.object_types["User"]
    assert user.target.dn_template == f"uid={{uid}},{PEOPLE}"
    assert user.target.create_defaults == {"cn": "{uid}"}
    assert config.object_types["Group"].target.member_attribute == "member"

    async def create() -> dict[str, object]:
        connector = connector_type("ldap")(ConnectorStore(home).load("dir"), home=home.root)
        await connector.open()
        try:
            created = await connector.create("User", {"uid": "wizard-proposal", "sn": "Proposal"})
            group = await connector.create("Group", {"cn": "wizard-group", "members": [created["entryUUID"]]})
            return {"user": created, "group": group}
        finally:
            await connector.close()

    made = asyncio.run(create())
    conn = ldap_server.admin()
    try:
        conn.search(f"uid=wizard-proposal,{PEOPLE}", "(objectClass=*)", search_scope="BASE", attributes=["cn"])
        assert conn.entries[0].cn.value == "wizard-proposal"  # from create_defaults
        conn.search(f"cn=wizard-group,{GROUPS}", "(objectClass=*)", search_scope="BASE", attributes=["member"])
        assert f"uid=wizard-proposal,{PEOPLE}" in conn.entries[0].member.values
    finally:
        conn.unbind()
    assert made["group"]


def cli_args(server: Slapd, home: Home, name: str) -> list[str]:
    return [
        "connector",
        "new",
        "--home",
        str(home.root),
        "--name",
        name,
        "--type",
        "ldap",
        "--connect",
        "host=127.0.0.1",
        "--connect",
        f"port={server.port}",
        "--connect",
        "security=none",
        "--connect",
        f"bind_dn={ROOT_DN}",
        "--password-env",
        PASSWORD_ENV,
    ]


def test_cli_new_ldap_without_input_writes_the_file_the_wizard_model_saves(ldap_server: Slapd, home: Home) -> None:
    args = cli_args(ldap_server, home, "cli")
    args += ["--option", f"User:base_dn={PEOPLE}", "--option", f"Group:base_dn={GROUPS}", "--no-input", "--no-token"]
    result = CliRunner().invoke(app, args, env={PASSWORD_ENV: ROOT_PASSWORD})
    assert result.exit_code == 0, result.output
    draft = ldap_draft(ldap_server, home, name="web")
    draft.set_env_secret("password", PASSWORD_ENV)
    save_draft(ConnectorStore(home), draft)
    cli_file = (home.connectors_dir / "cli.yaml").read_text()
    web_file = (home.connectors_dir / "web.yaml").read_text()
    assert cli_file.replace("name: cli", "name: web") == web_file
    assert "${env:" + PASSWORD_ENV + "}" in cli_file


def test_cli_flags_pick_classes_the_naming_attribute_and_lists(
    ldap_server: Slapd, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, ROOT_PASSWORD)
    args = cli_args(ldap_server, home, "flags")
    args += [
        "--object-type",
        "User=inetOrgPerson",
        "--option",
        f"User:base_dn={PEOPLE}",
        "--option",
        "User:rdn=cn",
        "--option",
        "User:auxiliary_classes=posixAccount",
        "--multi-valued",
        "User:telephoneNumber",
        "--map",
        "User:homeDirectory=",
        "--no-input",
        "--no-token",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    user = ConnectorStore(home).load("flags").object_types["User"]
    assert user.target.object_classes == ["inetOrgPerson", "posixAccount"]
    assert user.target.dn_template == f"cn={{cn}},{PEOPLE}"
    assert user.attributes["telephoneNumber"].multi_valued
    assert {"uidNumber", "gidNumber", "homeDirectory"} <= set(user.attributes)


def test_cli_new_ldap_at_the_prompts_takes_the_proposal_and_the_typed_answers(ldap_server: Slapd, home: Home) -> None:
    answers = [
        "prompted",  # name
        "ldap",  # type
        "",  # description
        "",  # SCIM views: both (proposed)
        "127.0.0.1",  # host
        str(ldap_server.port),
        "none",  # security
        ROOT_DN,
        ROOT_PASSWORD,  # hidden prompt
        "",  # CA file
        "",  # server certificate
        "",  # User: inetOrgPerson (proposed)
        "",  # Group: groupOfNames (proposed)
        PEOPLE,  # User: base DN
        "",  # DN template: follows the base DN
        "",  # auxiliary classes
        "",  # values for new entries: cn={uid}
        "telephoneNumber",  # also expose
        "telephoneNumber",  # lists
        "",  # anchor
        "",  # its value comes from: target (proposed)
        "delete",  # on disable
        GROUPS,  # Group: base DN
        "",
        "",
        "",
        "",  # member attribute
        "",  # placeholder member
        "description",
        "",
        "",
        "",  # its value comes from
        "",
    ]
    result = CliRunner().invoke(
        app, ["connector", "new", "--home", str(home.root), "--no-token"], input="\n".join(answers) + "\n"
    )
    assert result.exit_code == 0, result.output
    text = (home.connectors_dir / "prompted.yaml").read_text()
    assert ROOT_PASSWORD not in text
    config = ConnectorStore(home).load("prompted")
    user, group = config.object_types["User"], config.object_types["Group"]
    assert user.target.dn_template == f"uid={{uid}},{PEOPLE}"
    assert user.attributes["telephoneNumber"].multi_valued
    assert user.deprovisioning.disable.kind.value == "delete"
    assert group.target.dn_template == f"cn={{cn}},{GROUPS}"
    assert group.target.empty_member_dn == f"cn=nobody,{BASE_DN}"
    assert "description" in group.attributes
