"""The wizard's profiles for the CSV, script and REST connectors and SQL child tables: discovery through the
type's own `discover()`, the proposal, secrets kept encrypted, the REST operations validated by the connector's
model, and that what the wizard builds is a valid connector file."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ecmahost.config import secrets
from ecmahost.config.model import AnchorGeneration, AttributeType
from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.sql.demo_schema import create_demo_tables
from ecmahost.home import Home
from ecmahost.wizard import discovery
from ecmahost.wizard.answers import AnswerError, ObjectTypeAnswers, answers_from_mapping, apply_object_type
from ecmahost.wizard.child_tables import parse_child_tables, render_child_tables
from ecmahost.wizard.draft import ConnectorDraft, draft_from_file
from ecmahost.wizard.profile_csv import CSV
from ecmahost.wizard.profile_rest import REST
from ecmahost.wizard.profile_script import SCRIPT
from ecmahost.wizard.profiles import SQL
from ecmahost.wizard.save import save_draft
from ecmahost.wizard.steps import full_issues

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
PHONES = "PhoneNumbers = EmployeePhoneNumbers(EmployeeGUID): value=Value, type=Type, primary=IsPrimary"


@pytest.fixture
def home(tmp_path: Path) -> Home:
    where = Home(tmp_path / "home")
    where.ensure()
    return where


def csv_home(home: Home) -> Home:
    data = home.root / "data"
    data.mkdir()
    (data / "people.csv").write_text("Id,Login,FirstName,Email,Active\n1,ada,Ada,ada@example.org,true\n")
    (data / "groups.csv").write_text("Id;DisplayName;Members\n")
    return home


def test_csv_discovery_reads_the_header_row_of_each_file_in_the_folder(home: Home) -> None:
    draft = ConnectorDraft(name="people", type="csv")
    CSV.apply_connectivity(draft, {"folder": "data", "delimiter": ","}, csv_home(home))
    probe = asyncio.run(discovery.discover(draft, home))
    assert probe.ok, probe.message
    people = probe.object_class("people.csv")
    assert people is not None
    assert [attribute.name for attribute in people.attributes] == ["Id", "Login", "FirstName", "Email", "Active"]


def test_csv_test_button_fails_with_the_fix_when_the_folder_does_not_exist(home: Home) -> None:
    draft = ConnectorDraft(name="people", type="csv")
    CSV.apply_connectivity(draft, {"folder": "missing"}, home)
    result = asyncio.run(discovery.test_connectivity(draft, home))
    assert not result.ok
    assert "connection.folder" in result.message


def test_csv_proposal_anchors_on_the_id_column_generated_by_the_host_and_saves_a_valid_file(home: Home) -> None:
    draft = ConnectorDraft(name="people", type="csv")
    CSV.apply_connectivity(draft, {"folder": "data"}, csv_home(home))
    probe = asyncio.run(discovery.discover(draft, home))
    user = apply_object_type(draft, "User", ObjectTypeAnswers("people.csv"), CSV, probe.schema)
    assert (user.anchor, user.anchor_generate) == ("Id", AnchorGeneration.UUID)
    assert user.attributes["Login"].scim == "userName"
    assert user.attributes["Login"].required
    assert user.attributes["Login"].unique
    assert user.attributes["Active"].type is AttributeType.BOOLEAN
    save_draft(ConnectorStore(home), draft)
    assert ConnectorStore(home).load("people").object_types["User"].target.file == "people.csv"


def test_csv_group_members_column_is_proposed_and_never_an_attribute(home: Home) -> None:
    draft = ConnectorDraft(name="people", type="csv")
    CSV.apply_connectivity(draft, {"folder": "data", "delimiter": ";"}, csv_home(home))
    probe = asyncio.run(discovery.discover(draft, home))
    group = apply_object_type(draft, "Group", ObjectTypeAnswers("groups.csv"), CSV, probe.schema)
    assert group.target == {"file": "groups.csv", "members_column": "Members"}
    assert "Members" not in group.attributes


def test_csv_a_new_file_can_be_named_and_its_columns_added(home: Home) -> None:
    draft = ConnectorDraft(name="people", type="csv")
    CSV.apply_connectivity(draft, {"folder": "data"}, csv_home(home))
    probe = asyncio.run(discovery.discover(draft, home))
    answers = ObjectTypeAnswers("staff.csv", anchor="Id", map={"Id": None, "Login": "userName"})
    user = apply_object_type(draft, "User", answers, CSV, probe.schema)
    assert user.target == {"file": "staff.csv"}
    assert set(user.attributes) == {"Id", "Login"}
    assert full_issues(draft, home) == []


def script_draft(home: Home) -> ConnectorDraft:
    shutil.copytree(EXAMPLES / "scripts" / "python", home.root / "scripts" / "python")
    data = {"User": [{"Id": "1", "Login": "ada", "FirstName": "Ada", "Active": True}], "Group": []}
    (home.root / "scripts" / "python" / "users.json").write_text(json.dumps(data))
    draft = ConnectorDraft(name="pyscript", type="script")
    answers = {
        "command": "python3 users_connector.py --worker",
        "mode": "worker",
        "working_directory": "scripts/python",
        "parameters": "DATA_FILE=users.json",
        "secret_parameters": "API_PASSWORD=hunter2-value\nAPI_TOKEN=${env:API_TOKEN}",
    }
    SCRIPT.apply_connectivity(draft, answers, home)
    return draft


def test_script_secret_parameters_are_encrypted_at_once_and_shown_masked(home: Home) -> None:
    draft = script_draft(home)
    parameters = draft.connection["parameters"]
    assert parameters["DATA_FILE"] == "users.json"
    assert parameters["API_PASSWORD"].startswith("enc:")
    assert secrets.decrypt(parameters["API_PASSWORD"], home).reveal() == "hunter2-value"
    assert parameters["API_TOKEN"] == "${env:API_TOKEN}"
    shown = SCRIPT.connectivity_answers(draft.connection)
    assert "hunter2" not in str(shown)
    assert shown["secret_parameters"] == "API_PASSWORD=********\nAPI_TOKEN=${env:API_TOKEN}"
    assert shown["command"] == "python3 users_connector.py --worker"


def test_script_a_masked_secret_parameter_keeps_the_stored_value_and_a_dropped_one_is_removed(home: Home) -> None:
    draft = script_draft(home)
    stored = draft.connection["parameters"]["API_PASSWORD"]
    answers = {**SCRIPT.connectivity_answers(draft.connection), "secret_parameters": "API_PASSWORD=********"}
    SCRIPT.apply_connectivity(draft, answers, home)
    assert draft.connection["parameters"] == {"DATA_FILE": "users.json", "API_PASSWORD": stored}


def test_script_discovery_is_the_scripts_schema_answer_and_the_file_validates(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_TOKEN", "from-the-environment")
    draft = script_draft(home)
    assert asyncio.run(discovery.test_connectivity(draft, home)).ok
    probe = asyncio.run(discovery.discover(draft, home))
    assert probe.ok, probe.message
    user = apply_object_type(draft, "User", ObjectTypeAnswers("object"), SCRIPT, probe.schema)
    assert user.target == {}
    assert user.attributes["Login"].scim == "userName"
    save_draft(ConnectorStore(home), draft)
    edited = draft_from_file(ConnectorStore(home).read_raw("pyscript"))
    assert edited.object_types["User"].container == "User"


def test_script_operation_names_are_checked(home: Home) -> None:
    draft = ConnectorDraft(name="s", type="script")
    with pytest.raises(AnswerError, match="operation 'remove'"):
        SCRIPT.apply_connectivity(draft, {"operations": "remove=python3 rm.py"}, home)


class _Api(BaseHTTPRequestHandler):
    """A tiny JSON API: /users and /groups behind a bearer token."""

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != "Bearer api-token-1":
            self.send_response(401)
            self.end_headers()
            return
        items = {
            "/users": [{"id": "u1", "userName": "ada", "givenName": "Ada", "active": True}],
            "/groups": [{"id": "g1", "displayName": "Staff", "members": ["u1"]}],
        }.get(self.path.split("?")[0])
        self.send_response(404 if items is None else 200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(items).encode())

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def api_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def rest_draft(home: Home, url: str) -> ConnectorDraft:
    draft = ConnectorDraft(name="api", type="rest")
    answers = {"base_url": url, "auth": "bearer", "secret": "api-token-1", "collections": "/users, /groups"}
    REST.apply_connectivity(draft, answers, home)
    return draft


def test_rest_secret_is_encrypted_kept_when_empty_and_never_shown(home: Home, api_url: str) -> None:
    draft = rest_draft(home, api_url)
    token = draft.connection["auth"]["token"]
    assert token.startswith("enc:")
    assert "api-token-1" not in str(REST.connectivity_answers(draft.connection))
    REST.apply_connectivity(draft, {**REST.connectivity_answers(draft.connection), "secret": ""}, home)
    assert draft.connection["auth"] == {"type": "bearer", "token": token}
    assert "collections" not in draft.connection  # a wizard-only answer
    assert draft.hints["collections"] == "/users, /groups"


def test_rest_test_and_discovery_read_the_named_collections(home: Home, api_url: str) -> None:
    draft = rest_draft(home, api_url)
    assert asyncio.run(discovery.test_connectivity(draft, home)).ok
    probe = asyncio.run(discovery.discover(draft, home))
    assert probe.ok, probe.message
    group = apply_object_type(draft, "Group", ObjectTypeAnswers("/groups", {"members": "/members"}), REST, probe.schema)
    user = apply_object_type(draft, "User", ObjectTypeAnswers("/users"), REST, probe.schema)
    assert (user.anchor, user.anchor_generate) == ("id", AnchorGeneration.TARGET)
    assert "members" not in group.attributes
    save_draft(ConnectorStore(home), draft)
    assert ConnectorStore(home).load("api").object_types["Group"].target.members == "/members"


def test_rest_a_wrong_token_fails_the_test_button(home: Home, api_url: str) -> None:
    draft = rest_draft(home, api_url)
    REST.apply_connectivity(draft, {"base_url": api_url, "auth": "bearer", "secret": "wrong"}, home)
    assert not asyncio.run(discovery.test_connectivity(draft, home)).ok


def test_rest_advanced_operations_are_validated_by_the_connectors_model() -> None:
    target = REST.target_for("/users", {"operations": "update: {method: PATCH, url: '/users/{id}'}"})
    assert target["operations"] == {"update": {"method": "PATCH", "url": "/users/{id}"}}
    assert REST.target_answers(target)["operations"].startswith("update:")
    with pytest.raises(AnswerError, match=r"operations: update\.method"):
        REST.target_for("/users", {"operations": "update: {method: FETCH, url: /users}"})
    with pytest.raises(AnswerError, match="operations: "):
        REST.target_for("/users", {"operations": "remove: {method: DELETE, url: /users}"})


def test_child_table_lines_round_trip() -> None:
    tables = parse_child_tables(PHONES)
    assert tables == {
        "PhoneNumbers": {
            "table": "EmployeePhoneNumbers",
            "key": "EmployeeGUID",
            "columns": {"value": "Value", "type": "Type", "primary": "IsPrimary"},
        }
    }
    assert render_child_tables(tables) == PHONES
    with pytest.raises(AnswerError, match="PhoneNumbers = "):
        parse_child_tables("PhoneNumbers: EmployeePhoneNumbers")


def test_a_child_table_selects_a_complex_multi_valued_attribute_and_removing_it_unselects(home: Home) -> None:
    asyncio.run(create_demo_tables("sqlite:///hr.db", home.root))
    draft = ConnectorDraft(name="hr", type="sql")
    SQL.apply_connectivity(draft, {"dialect": "sqlite", "database": "hr.db"}, home)
    probe = asyncio.run(discovery.discover(draft, home))
    answers = ObjectTypeAnswers("Employees", {"child_tables": PHONES}, map={"PhoneNumbers": "phoneNumbers"})
    user = apply_object_type(draft, "User", answers, SQL, probe.schema)
    phones = user.attributes["PhoneNumbers"]
    assert (phones.type, phones.multi_valued, phones.scim) == (AttributeType.COMPLEX, True, "phoneNumbers")
    assert phones.extra["sub_attributes"] == ["value", "type", "primary"]
    assert full_issues(draft, home) == []
    save_draft(ConnectorStore(home), draft)
    config = ConnectorStore(home).load("hr")
    assert config.object_types["User"].target.child_tables["PhoneNumbers"].key == "EmployeeGUID"
    apply_object_type(draft, "User", ObjectTypeAnswers("Employees", {"child_tables": ""}), SQL, probe.schema)
    assert "PhoneNumbers" not in draft.object_types["User"].attributes
    assert "child_tables" not in draft.object_types["User"].target


def test_an_answers_file_gives_child_tables_as_a_mapping() -> None:
    answers = answers_from_mapping(
        {
            "object_types": {
                "User": {
                    "container": "Employees",
                    "child_tables": {"PhoneNumbers": {"table": "P", "key": "K", "columns": {"value": "V"}}},
                }
            }
        }
    )
    assert answers.object_types["User"].options["child_tables"] == "PhoneNumbers = P(K): value=V"
