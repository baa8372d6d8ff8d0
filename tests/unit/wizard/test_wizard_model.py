"""The wizard's model: the file it builds, the proposal from discovery, scripted answers, validation per page,
and that the CLI twin writes the file the shared save path writes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecmahost.admin.security import SessionStore, check_admin_password, set_admin_password
from ecmahost.cli.main import app
from ecmahost.config.model import AnchorGeneration, AttributeType
from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.base import DiscoveredAttribute, DiscoveredObjectClass
from ecmahost.connectors.sql.demo_schema import create_demo_tables
from ecmahost.home import Home
from ecmahost.wizard import discovery
from ecmahost.wizard.answers import AnswerError, ObjectTypeAnswers, apply_object_type, parse_deprovision
from ecmahost.wizard.draft import ConnectorDraft, draft_from_file
from ecmahost.wizard.keys import propose_anchor
from ecmahost.wizard.naming import WORK_EMAIL, propose_mapping
from ecmahost.wizard.profiles import SQL, build_sql_url
from ecmahost.wizard.propose import pick_container
from ecmahost.wizard.save import save_draft
from ecmahost.wizard.steps import Step, issues_for, step_of


@pytest.fixture
def home(tmp_path: Path) -> Home:
    where = Home(tmp_path / "home")
    where.ensure()
    asyncio.run(create_demo_tables("sqlite:///hr.db", where.root))
    return where


def sql_draft(home: Home, name: str = "hr") -> ConnectorDraft:
    draft = ConnectorDraft(name=name, type="sql")
    SQL.apply_connectivity(draft, {"dialect": "sqlite", "database": "hr.db"}, home)
    probe = asyncio.run(discovery.discover(draft, home))
    assert probe.ok, probe.message
    apply_object_type(draft, "User", ObjectTypeAnswers("Employees"), SQL, probe.schema)
    return draft


def test_sql_url_is_built_without_the_password() -> None:
    assert build_sql_url("postgresql", "db.example", "5433", "hr", "app") == "postgresql://app@db.example:5433/hr"
    assert build_sql_url("sqlite", "", "", "demo.db", "") == "sqlite:///demo.db"


def test_a_typed_password_is_encrypted_in_the_draft_at_once(home: Home) -> None:
    draft = ConnectorDraft(name="hr", type="sql")
    SQL.apply_connectivity(draft, {"dialect": "postgresql", "host": "db", "password": "s3cret-value"}, home)
    assert draft.connection["password"].startswith("enc:")
    assert "s3cret-value" not in str(draft.to_file_dict())


def test_an_empty_password_answer_keeps_the_stored_one(home: Home) -> None:
    draft = ConnectorDraft(name="hr", type="sql", connection={"url": "postgresql://a@db/hr", "password": "enc:x"})
    SQL.apply_connectivity(draft, {"dialect": "postgresql", "host": "db2", "password": ""}, home)
    assert draft.connection == {"url": "postgresql://db2", "password": "enc:x"}


def test_containers_are_picked_by_their_names() -> None:
    classes = [DiscoveredObjectClass(name, "table") for name in ("GroupMembers", "Employees", "Groups")]
    assert pick_container("User", classes) == "Employees"
    assert pick_container("Group", classes) == "Groups"


def test_well_known_names_map_to_scim_attributes_once() -> None:
    mapping = propose_mapping("User", ["Login", "FirstName", "sn", "Mail", "Email", "Enabled", "Shoe"])
    assert mapping == {
        "Login": "userName",
        "FirstName": "name.givenName",
        "sn": "name.familyName",
        "Mail": WORK_EMAIL,
        "Enabled": "active",
    }


def test_a_generated_primary_key_is_an_anchor_the_target_fills() -> None:
    columns = [
        DiscoveredAttribute("Login", unique=True, required=True),
        DiscoveredAttribute("Id", type=AttributeType.INTEGER, primary_key=True, generated=True),
    ]
    proposal = propose_anchor(DiscoveredObjectClass("T", "table", columns), columns, "User", AnchorGeneration.UUID)
    assert (proposal.attribute, proposal.generate, proposal.problem) == ("Id", AnchorGeneration.TARGET, "")


def test_deprovision_answers_are_parsed_or_refused() -> None:
    assert parse_deprovision("set:Active=false").to_file() == {"set": {"Active": False}}
    assert parse_deprovision("delete").to_file() == "delete"
    with pytest.raises(AnswerError):
        parse_deprovision("set:Active")


def test_the_proposal_from_discovery_is_a_valid_connector(home: Home) -> None:
    draft = sql_draft(home)
    assert issues_for(Step.REVIEW, draft, home) == []
    user = draft.object_types["User"]
    assert user.attributes["ContosoLogin"].scim == "userName"
    assert user.disable.to_file() == {"set": {"Active": False}}


def test_a_file_read_back_into_a_draft_writes_the_same_content(home: Home) -> None:
    draft = sql_draft(home)
    save_draft(ConnectorStore(home), draft)
    again = draft_from_file(ConnectorStore(home).read_raw("hr"))
    assert again.to_file_dict() == draft.to_file_dict()


def test_each_issue_is_shown_on_the_page_that_edits_it(home: Home) -> None:
    assert step_of("connection.url") is Step.CONNECTIVITY
    assert step_of("object_types.User.attributes.X") is Step.ATTRIBUTES
    assert step_of("object_types.User.table") is Step.OBJECT_TYPES
    draft = sql_draft(home)
    draft.object_types["User"].attributes["FirstName"].scim = "userName"
    problems = issues_for(Step.ATTRIBUTES, draft, home)
    assert any("already mapped" in issue.problem for issue in problems)
    assert issues_for(Step.CONNECTIVITY, draft, home) == []


def test_a_new_connector_cannot_take_an_existing_name(home: Home) -> None:
    save_draft(ConnectorStore(home), sql_draft(home))
    problems = issues_for(Step.PROPERTIES, sql_draft(home), home)
    assert [issue.path for issue in problems] == ["name"]


def test_cli_new_without_input_writes_the_file_the_wizard_model_saves(home: Home) -> None:
    runner = CliRunner()
    args = [
        "connector",
        "new",
        "--home",
        str(home.root),
        "--name",
        "cli",
        "--type",
        "sql",
        "--url",
        "sqlite:///hr.db",
        "--object-type",
        "User=Employees",
        "--no-input",
        "--no-token",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    draft = sql_draft(home, name="web")
    save_draft(ConnectorStore(home), draft)
    cli_file = (home.connectors_dir / "cli.yaml").read_text()
    web_file = (home.connectors_dir / "web.yaml").read_text()
    assert cli_file.replace("name: cli", "name: web") == web_file


def test_cli_edit_changes_only_what_is_asked(home: Home) -> None:
    save_draft(ConnectorStore(home), sql_draft(home))
    args = [
        "connector",
        "edit",
        "hr",
        "--home",
        str(home.root),
        "--map",
        "User:textID=nickName",
        "--map",
        "User:NickName=",
        "--no-input",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    config = ConnectorStore(home).load("hr")
    assert config.object_types["User"].attributes["textID"].scim == "nickName"
    assert config.object_types["User"].attributes["NickName"].scim is None


def test_admin_password_is_stored_as_a_hash_and_verified(home: Home) -> None:
    set_admin_password(home, "a-long-admin-password")
    assert "a-long-admin-password" not in (home.root / "admin.yaml").read_text()
    assert check_admin_password(home, "a-long-admin-password")
    assert not check_admin_password(home, "wrong-password-here")
    with pytest.raises(ValueError, match="12 characters"):
        set_admin_password(home, "short")


def test_a_session_cookie_that_was_tampered_with_names_no_session() -> None:
    store = SessionStore()
    session, cookie = store.create()
    assert store.get(cookie) is session
    assert store.get(cookie[:-2] + "xx") is None
    assert not session.csrf_matches("guess")
