"""Records render as SCIM resources in both views (core and ECMA2Host), and bodies extract into records."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ecmahost import errors
from ecmahost.connectors.query import META_CREATED, META_MODIFIED
from ecmahost.scim.resources import extract, project, render, require

from demo_mapping import demo_mapping

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ECMA = "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:User"
BASE = "https://host:8585/ecma2host_demo/scim"

RECORD = {
    "InternalGUID": "g-1",
    "ContosoLogin": "alice",
    "FirstName": "Alice",
    "LastName": None,
    "Email": "alice@x.org",
    "EmployeeNumber": "7",
    "ManagerGUID": "g-0",
    "Active": False,
    "PhoneNumbers": [{"type": "work", "value": "1", "primary": True}],
    META_CREATED: datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    META_MODIFIED: datetime(2024, 5, 2, 12, 0, tzinfo=UTC),
}


def test_render_shows_core_enterprise_and_extension_views_of_one_record() -> None:
    user = render(demo_mapping(), RECORD, base_url=BASE)
    assert user["id"] == "g-1"
    assert user["userName"] == "alice"
    assert user["name"] == {"givenName": "Alice"}, "nulls are never sent"
    assert user["emails"] == [{"type": "work", "value": "alice@x.org"}]
    assert user["active"] is False
    assert user[ENTERPRISE] == {"employeeNumber": "7", "manager": {"value": "g-0"}}
    assert user[ECMA]["ContosoLogin"] == "alice"
    assert user[ECMA]["-dn-"] == "CN=g-1,OBJECT=USER"
    assert user["schemas"] == [CORE_USER, ENTERPRISE, ECMA]
    assert user["meta"]["created"] == "2024-05-01T12:00:00Z"
    assert user["meta"]["lastModified"] == "2024-05-02T12:00:00Z"
    assert user["meta"]["location"] == f"{BASE}/Users/g-1"
    assert user["meta"]["version"].startswith('W/"')


def test_version_changes_with_content() -> None:
    first = render(demo_mapping(), RECORD, base_url=BASE)["meta"]["version"]
    second = render(demo_mapping(), {**RECORD, "FirstName": "Alicia"}, base_url=BASE)["meta"]["version"]
    assert first != second


def test_extract_reads_core_paths_case_insensitively_and_ignores_unknown_keys() -> None:
    body = {
        "schemas": [CORE_USER],
        "USERNAME": "bob",
        "Name": {"GivenName": "Bob"},
        "emails": [{"type": "home", "value": "h@x"}, {"type": "Work", "value": "w@x"}],
        "roles": [],
        "title": None,
        "active": "True",
        ENTERPRISE: {"manager": {"value": "m"}},
    }
    record = extract(demo_mapping(), body)
    assert record == {
        "ContosoLogin": "bob",
        "FirstName": "Bob",
        "Email": "w@x",
        "Title": None,
        "Active": True,
        "ManagerGUID": "m",
    }


def test_extract_prefers_the_exact_key_then_the_first_one_equal_ignoring_case() -> None:
    body = {"schemas": [CORE_USER], "USERNAME": "first", "username": "second", "userName": "exact"}
    assert extract(demo_mapping(), body)["ContosoLogin"] == "exact"
    del body["userName"]
    assert extract(demo_mapping(), body)["ContosoLogin"] == "first"


def test_extension_and_core_values_must_agree() -> None:
    body = {"schemas": [CORE_USER], "userName": "a", ECMA: {"ContosoLogin": "b"}}
    with pytest.raises(errors.InvalidValue, match="give the same value at both paths, or give only one of them"):
        extract(demo_mapping(), body)


def test_extension_only_bodies_work_as_entra_ecma_template_sends_them() -> None:
    record = extract(demo_mapping(), {"schemas": [CORE_USER], ECMA: {"ContosoLogin": "c", "textID": "t"}})
    assert record == {"ContosoLogin": "c", "textID": "t"}


def test_required_attributes_are_enforced() -> None:
    with pytest.raises(errors.InvalidValue, match="userName"):
        require(demo_mapping(), {"FirstName": "x"})


def test_projection_keeps_id_and_meta_and_drops_excluded() -> None:
    user = render(demo_mapping(), RECORD, base_url=BASE)
    only = project(user, ["userName", f"{ENTERPRISE}:employeeNumber"], None)
    assert set(only) == {"id", "schemas", "meta", "userName", ENTERPRISE}
    assert only[ENTERPRISE] == {"employeeNumber": "7"}
    without = project(user, None, ["emails", "name.givenName"])
    assert "emails" not in without
    assert "name" not in without, "a container left empty (name had only givenName) is omitted"
    assert "emails" in user, "projection never mutates the rendered resource"
