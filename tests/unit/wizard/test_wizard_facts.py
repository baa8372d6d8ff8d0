"""The wizard's proposals from a table's facts (`wizard.keys`, `wizard.naming`): anchors by keys and defaults,
link tables by foreign keys, the common spellings of names, and what stays a question for the admin."""

from __future__ import annotations

import pytest

from ecmahost.config.model import AnchorGeneration, AttributeType
from ecmahost.connectors.base import DiscoveredAttribute, DiscoveredObjectClass, DiscoveredSchema
from ecmahost.home import Home
from ecmahost.wizard.answers import ObjectTypeAnswers, apply_object_type
from ecmahost.wizard.draft import ConnectorDraft
from ecmahost.wizard.keys import propose_anchor, propose_link_table, timestamp_columns
from ecmahost.wizard.naming import ENTERPRISE, WORK_EMAIL, propose_mapping
from ecmahost.wizard.profiles import PROFILES
from ecmahost.wizard.steps import Step, issues_for

SQL = PROFILES["sql"]
UUID = AnchorGeneration.UUID
STRING, INTEGER, BOOLEAN, DATETIME = (
    AttributeType.STRING,
    AttributeType.INTEGER,
    AttributeType.BOOLEAN,
    AttributeType.DATETIME,
)


def column(name: str, kind: AttributeType = STRING, **facts: object) -> DiscoveredAttribute:
    return DiscoveredAttribute(name, type=kind, **facts)  # type: ignore[arg-type]


def table(name: str, *columns: DiscoveredAttribute) -> DiscoveredObjectClass:
    return DiscoveredObjectClass(name, "table", list(columns))


def anchor_of(*columns: DiscoveredAttribute, kind: str = "table") -> tuple[str, AnchorGeneration, bool]:
    found = propose_anchor(DiscoveredObjectClass("T", kind, list(columns)), columns, "User", UUID)
    return found.attribute, found.generate, bool(found.problem)


def test_a_string_primary_key_without_default_is_generated_by_the_host() -> None:
    key = column("PersonId", primary_key=True, unique=True, max_length=36)
    assert anchor_of(key, column("Login", unique=True, required=True)) == ("PersonId", UUID, False)


def test_an_identity_or_defaulted_key_is_generated_by_the_target() -> None:
    assert anchor_of(column("id", INTEGER, primary_key=True, generated=True)) == ("id", AnchorGeneration.TARGET, False)
    defaulted = column("acct_key", primary_key=True, generated=True, detail="UUID")
    assert anchor_of(defaulted) == ("acct_key", AnchorGeneration.TARGET, False)


@pytest.mark.parametrize(
    "key",
    [
        column("num_key", INTEGER, primary_key=True, detail="BIGINT"),
        column("code", primary_key=True, max_length=10, detail="VARCHAR(10)"),
        column("UserName", primary_key=True, max_length=100),
    ],
    ids=["integer-without-default", "too-short-for-a-uuid", "looks-like-the-login"],
)
def test_a_key_nobody_is_known_to_produce_is_a_question_not_none(key: DiscoveredAttribute) -> None:
    assert anchor_of(key)[2]


def test_a_table_without_key_asks_for_the_anchor() -> None:
    assert anchor_of(column("a"), column("b"))[2]


def test_a_keyless_source_takes_its_id_like_attribute() -> None:
    assert anchor_of(column("Login"), column("Id"), kind="file") == ("Id", UUID, False)


def test_a_link_table_is_found_by_its_foreign_keys_whatever_its_names() -> None:
    classes = [
        table("People", column("PersonId", primary_key=True)),
        table("Teams", column("TeamId", primary_key=True)),
        table("Audit", column("Who", references="People.PersonId")),
        table("X1", column("a", references="Teams.TeamId"), column("b", references="People.PersonId")),
    ]
    found = {"members_table": "X1", "group_key": "a", "member_key": "b"}
    assert propose_link_table(classes, "Teams", "People") == found
    assert propose_link_table(classes, "Teams") == found
    assert propose_link_table(classes, "teams", "people", named="x1") == found


def test_a_named_link_table_without_foreign_keys_falls_back_to_column_names_or_stays_empty() -> None:
    classes = [table("GroupMembers", column("GroupGUID"), column("MemberGUID")), table("Pairs", column("l"))]
    assert propose_link_table(classes, "Groups", named="GroupMembers")["member_key"] == "MemberGUID"
    assert propose_link_table(classes, "Groups", named="Pairs") == {
        "members_table": "Pairs",
        "group_key": "",
        "member_key": "",
    }


@pytest.mark.parametrize(
    ("names", "scim"),
    [
        (["first_name", "given_name", "givenname", "FirstName", "GivenName", "fname"], "name.givenName"),
        (["last_name", "family_name", "surname", "Surname", "LastName", "lname"], "name.familyName"),
        (["email", "mail", "email_address", "EmailAddress", "E_Mail"], WORK_EMAIL),
        (["login", "user_name", "username", "UserName", "sam_account_name", "sAMAccountName"], "userName"),
        (["display_name", "DisplayName", "full_name"], "displayName"),
        (["job_title", "title", "JobTitle"], "title"),
        (["is_active", "active", "enabled", "is_enabled", "IsEnabled"], "active"),
        (["department", "Department", "dept"], f"{ENTERPRISE}:department"),
        (["employee_number", "employee_id", "EmployeeNumber", "emp_no"], f"{ENTERPRISE}:employeeNumber"),
        (["phone", "phone_number", "telephone_number"], 'phoneNumbers[type eq "work"].value'),
        (["mobile", "mobile_phone", "cell_phone"], 'phoneNumbers[type eq "mobile"].value'),
        (["manager_id", "ManagerGUID", "manager"], f"{ENTERPRISE}:manager.value"),
        (["external_id", "ExternalId"], "externalId"),
    ],
)
def test_common_spellings_map_to_the_same_scim_attribute(names: list[str], scim: str) -> None:
    for name in names:
        assert propose_mapping("User", [name]) == {name: scim}, name


@pytest.mark.parametrize("name", ["name", "group_name", "GroupName", "display_name", "title", "team_name"])
def test_group_names_map_to_display_name(name: str) -> None:
    assert propose_mapping("Group", [name]) == {name: "displayName"}


def test_created_and_modified_columns_are_the_timestamps() -> None:
    columns = [
        column("created_at", DATETIME, generated=True),
        column("UpdatedOn", DATETIME),
        column("created_by"),
    ]
    assert timestamp_columns(columns) == {"created": "created_at", "modified": "UpdatedOn"}


SNAKE = DiscoveredSchema(
    [
        table(
            "app_user",
            column("id", INTEGER, primary_key=True, unique=True, generated=True),
            column("user_name", unique=True, required=True, max_length=64),
            column("given_name"),
            column("is_enabled", BOOLEAN, generated=True),
            column("status", STRING),
            column("created_at", DATETIME, generated=True),
        ),
        table("app_group", column("id", INTEGER, primary_key=True, generated=True), column("group_name")),
        table(
            "app_group_member",
            column("group_id", INTEGER, references="app_group.id"),
            column("user_id", INTEGER, references="app_user.id"),
        ),
    ]
)


def test_the_snake_case_proposal_needs_no_answer(tmp_path: object) -> None:
    draft = ConnectorDraft(name="snake", type="sql", connection={"url": "sqlite:///x.db"})
    user = apply_object_type(draft, "User", ObjectTypeAnswers("app_user"), SQL, SNAKE)
    group = apply_object_type(draft, "Group", ObjectTypeAnswers("app_group"), SQL, SNAKE)
    assert (user.anchor, user.anchor_generate, user.undecided) == ("id", AnchorGeneration.TARGET, {})
    assert user.attributes["id"].extra == {"mutability": "readOnly"}
    assert user.attributes["user_name"].scim == "userName"
    assert user.attributes["is_enabled"].scim == "active"
    assert user.disable.to_file() == {"set": {"is_enabled": False}}
    assert "created_at" not in user.attributes
    assert user.target["timestamps"] == {"created": "created_at"}
    assert group.target["members"] == {"table": "app_group_member", "group_key": "group_id", "member_key": "user_id"}
    assert group.attributes["group_name"].scim == "displayName"


def test_an_active_flag_that_is_not_boolean_is_not_mapped_to_active() -> None:
    schema = DiscoveredSchema([table("u", column("id", primary_key=True), column("login"), column("active"))])
    draft = ConnectorDraft(name="u", type="sql")
    user = apply_object_type(draft, "User", ObjectTypeAnswers("u"), SQL, schema)
    assert user.attributes["active"].scim is None
    assert user.disable.kind == "nothing"


CRYPTIC = DiscoveredSchema(
    [
        table(
            "t_acct",
            column("acct_key", primary_key=True, unique=True, max_length=36),
            column("lgn", unique=True, required=True, max_length=40),
            column("fnm"),
        ),
        table("t_num", column("num_key", INTEGER, primary_key=True, detail="BIGINT"), column("lgn")),
    ]
)


def test_the_one_unique_required_column_is_the_login_when_no_name_says_so() -> None:
    draft = ConnectorDraft(name="c", type="sql")
    user = apply_object_type(draft, "User", ObjectTypeAnswers("t_acct"), SQL, CRYPTIC)
    assert (user.anchor, user.anchor_generate) == ("acct_key", UUID)
    assert user.attributes["lgn"].scim == "userName"
    assert user.attributes["fnm"].scim is None


def test_what_the_facts_leave_open_is_an_issue_until_answered(tmp_path: object) -> None:
    home = Home(tmp_path / "home")  # type: ignore[operator]
    home.ensure()
    draft = ConnectorDraft(name="c", type="sql", connection={"url": "sqlite:///c.db"})
    apply_object_type(draft, "User", ObjectTypeAnswers("t_num"), SQL, CRYPTIC)
    problems = {issue.path: issue for issue in issues_for(Step.REVIEW, draft, home)}
    assert "num_key" in problems["object_types.User.anchor"].problem
    assert "--anchor-generate" in problems["object_types.User.anchor"].fix
    assert "userName" in problems["object_types.User.attributes"].problem
    answers = ObjectTypeAnswers("t_num", anchor_generate="none", map={"lgn": "userName", "num_key": "externalId"})
    apply_object_type(draft, "User", answers, SQL, CRYPTIC)
    assert issues_for(Step.REVIEW, draft, home) == []


def test_a_members_table_without_its_columns_is_an_issue(tmp_path: object) -> None:
    home = Home(tmp_path / "home")  # type: ignore[operator]
    home.ensure()
    schema = DiscoveredSchema(
        [table("g", column("id", primary_key=True), column("name")), table("pairs", column("l"), column("r"))]
    )
    draft = ConnectorDraft(name="g", type="sql", connection={"url": "sqlite:///g.db"})
    apply_object_type(draft, "Group", ObjectTypeAnswers("g", {"members_table": "pairs"}), SQL, schema)
    paths = [issue.path for issue in issues_for(Step.OBJECT_TYPES, draft, home)]
    assert paths == ["object_types.Group.members.group_key", "object_types.Group.members.member_key"]


def test_a_link_table_that_holds_other_columns_than_the_anchors_is_an_issue(tmp_path: object) -> None:
    home = Home(tmp_path / "home")  # type: ignore[operator]
    home.ensure()
    schema = DiscoveredSchema(
        [
            table("users", column("id", INTEGER, primary_key=True, generated=True), column("login", unique=True)),
            table("groups", column("id", INTEGER, primary_key=True, generated=True), column("name")),
            table(
                "group_users",
                column("group_id", INTEGER, references="groups.id"),
                column("login", references="users.login"),
            ),
        ]
    )
    draft = ConnectorDraft(name="g", type="sql", connection={"url": "sqlite:///g.db"})
    apply_object_type(draft, "User", ObjectTypeAnswers("users"), SQL, schema)
    group = apply_object_type(draft, "Group", ObjectTypeAnswers("groups"), SQL, schema)
    assert group.target["members"] == {"table": "group_users", "group_key": "group_id", "member_key": "login"}
    problems = {issue.path: issue.problem for issue in issues_for(Step.OBJECT_TYPES, draft, home)}
    assert "group_users.login holds users.login, not its anchor id" in problems["object_types.Group.members"]
    apply_object_type(draft, "User", ObjectTypeAnswers("users", anchor="login", anchor_generate="none"), SQL, schema)
    assert "object_types.Group.members" not in {issue.path for issue in issues_for(Step.OBJECT_TYPES, draft, home)}


def test_a_number_column_mapped_to_a_core_attribute_is_served_as_the_string_scim_defines() -> None:
    """employeeNumber, externalId... are strings in RFC 7643: the proposal types them by the SCIM attribute, not
    the column (which stays typed where only the ECMA2Host extension shows it)."""
    from ecmahost.wizard.propose import propose_object_type

    staff = table(
        "staff",
        column("staff_no", INTEGER, primary_key=True, generated=True),
        column("login", unique=True, required=True),
        column("EmployeeNumber", INTEGER),
        column("Level", INTEGER),
    )
    proposed = propose_object_type("User", staff, {"table": "staff"})
    assert proposed.attributes["EmployeeNumber"].scim == f"{ENTERPRISE}:employeeNumber"
    assert proposed.attributes["EmployeeNumber"].type is STRING
    assert proposed.attributes["Level"].scim is None
    assert proposed.attributes["Level"].type is INTEGER
