"""`attributes` / `excludedAttributes` on a rendered resource (RFC 7644 §3.4.2.5): exact resulting keys."""

from __future__ import annotations

from typing import Any

from ecmahost.config.model import GENERIC_OBJECT_TYPE_KEYS, ObjectTypeConfig
from ecmahost.demo import demo_connector
from ecmahost.scim.mapping import ObjectMapping
from ecmahost.scim.projection import NO_RULES, asks_for, project, returns_of
from ecmahost.scim.resources import render

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ECMA = "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:User"

USER: dict[str, Any] = {
    "id": "g-1",
    "userName": "alice",
    "name": {"givenName": "Alice", "familyName": "Smith"},
    "emails": [{"type": "work", "value": "a@x.org", "primary": True}, {"type": "home", "value": "a@y.org"}],
    ENTERPRISE: {"employeeNumber": "7", "manager": {"value": "g-0"}},
    ECMA: {"ContosoLogin": "alice", "FirstName": "Alice"},
    "schemas": [CORE, ENTERPRISE, ECMA],
    "meta": {"resourceType": "User", "version": 'W/"1"'},
}
ALWAYS = {"id", "schemas", "meta"}


def test_attributes_keep_only_the_named_ones_and_the_always_returned() -> None:
    projected = project(USER, ["userName"], None)
    assert set(projected) == ALWAYS | {"userName"}
    assert projected["schemas"] == [CORE], "schemas names only the schemas whose attributes remain"
    assert projected["meta"] == USER["meta"]


def test_a_sub_attribute_keeps_its_parent_with_only_that_sub_attribute() -> None:
    assert project(USER, ["name.givenName"], None)["name"] == {"givenName": "Alice"}
    assert project(USER, ["NAME.GIVENNAME"], None)["name"] == {"givenName": "Alice"}, "names are case-insensitive"
    assert project(USER, [f"{CORE}:name.familyName"], None)["name"] == {"familyName": "Smith"}


def test_a_sub_attribute_of_a_multi_valued_attribute_is_taken_from_each_element() -> None:
    assert project(USER, ["emails.value"], None)["emails"] == [{"value": "a@x.org"}, {"value": "a@y.org"}]
    assert project(USER, None, ["emails.type", "emails.primary"])["emails"] == [
        {"value": "a@x.org"},
        {"value": "a@y.org"},
    ]


def test_an_extension_attribute_is_named_with_its_schema_urn() -> None:
    projected = project(USER, [f"{ENTERPRISE}:employeeNumber", f"{ECMA}:FirstName"], None)
    assert set(projected) == ALWAYS | {ENTERPRISE, ECMA}
    assert projected[ENTERPRISE] == {"employeeNumber": "7"}
    assert projected[ECMA] == {"FirstName": "Alice"}
    assert project(USER, [f"{ENTERPRISE}:manager.value"], None)[ENTERPRISE] == {"manager": {"value": "g-0"}}


def test_a_whole_extension_is_named_by_its_urn_although_the_urn_holds_a_dot() -> None:
    assert project(USER, [ENTERPRISE], None)[ENTERPRISE] == USER[ENTERPRISE]
    without = project(USER, None, [ECMA])
    assert ECMA not in without
    assert without["schemas"] == [CORE, ENTERPRISE]


def test_an_attribute_the_resource_lacks_selects_nothing_and_leaves_no_empty_object() -> None:
    projected = project(USER, [f"{ENTERPRISE}:costCenter", "title", "name.middleName"], None)
    assert set(projected) == ALWAYS
    assert projected["schemas"] == [CORE]


def test_excluding_every_sub_attribute_omits_the_parent() -> None:
    without = project(USER, None, ["name.givenName", "name.familyName", f"{ENTERPRISE}:employeeNumber"])
    assert "name" not in without
    assert without[ENTERPRISE] == {"manager": {"value": "g-0"}}


def test_id_schemas_and_meta_cannot_be_excluded() -> None:
    without = project(USER, None, ["id", "schemas", "meta", "meta.version", "userName"])
    assert set(without) == set(USER) - {"userName"}
    assert without["meta"] == USER["meta"]


def test_attributes_win_over_excluded_attributes_and_nothing_asked_returns_the_resource() -> None:
    assert set(project(USER, ["userName"], ["userName"])) == ALWAYS | {"userName"}
    assert project(USER, None, None) is USER
    assert project(USER, (), ()) is USER


def test_projection_never_mutates_the_resource() -> None:
    before = repr(USER)
    project(USER, None, ["name.givenName", "emails.type", ECMA])
    project(USER, ["name.givenName", "emails.value"], None)
    assert repr(USER) == before


def test_asks_for_tells_the_service_whether_to_read_members() -> None:
    assert asks_for("members", None, None)
    assert asks_for("members", None, ["displayName"])
    assert not asks_for("members", None, ["members"])
    assert not asks_for("members", None, ["MEMBERS"])
    assert asks_for("members", None, ["members.display"]), "a sub-attribute excluded still needs the members"
    assert asks_for("members", ["members.value"], None)
    assert asks_for("members", ["urn:ietf:params:scim:schemas:core:2.0:Group:members"], None)
    assert not asks_for("members", ["displayName"], None)


def _mapping_with_returns() -> ObjectMapping:
    raw = demo_connector()["object_types"]["User"]
    raw["attributes"]["Title"]["returned"] = "request"
    raw["attributes"]["Department"]["returned"] = "always"
    generic = {k: v for k, v in raw.items() if k in GENERIC_OBJECT_TYPE_KEYS}
    return ObjectMapping("User", ObjectTypeConfig.model_validate(generic), has_members=False)


def test_returned_request_attributes_appear_only_when_named() -> None:
    mapping = _mapping_with_returns()
    returns = returns_of(mapping)
    user = render(mapping, {"InternalGUID": "g", "ContosoLogin": "a", "Title": "Boss", "Department": "D"}, base_url="")
    plain = project(user, None, None, returns)
    assert "title" not in plain
    assert "Title" not in plain[ECMA]
    assert plain[ENTERPRISE] == {"department": "D"}
    assert project(user, ["title"], None, returns)["title"] == "Boss"
    assert project(user, [f"{ECMA}:title"], None, returns)[ECMA] == {"Title": "Boss", "Department": "D"}
    assert "title" not in project(user, None, ["userName"], returns)


def test_returned_always_attributes_cannot_be_left_out() -> None:
    mapping = _mapping_with_returns()
    returns = returns_of(mapping)
    user = render(mapping, {"InternalGUID": "g", "ContosoLogin": "a", "Department": "D"}, base_url="")
    only = project(user, ["userName"], None, returns)
    assert set(only) == ALWAYS | {"userName", ENTERPRISE, ECMA}
    assert only[ENTERPRISE] == {"department": "D"}
    assert only[ECMA] == {"Department": "D"}
    without = project(user, None, [ENTERPRISE, f"{ECMA}:Department", "userName"], returns)
    assert without[ENTERPRISE] == {"department": "D"}
    assert without[ECMA]["Department"] == "D"
    assert "userName" not in without


def test_a_mapping_without_returned_rules_adds_no_work() -> None:
    assert returns_of(demo_mapping_plain()) is NO_RULES
    assert project(USER, None, None, NO_RULES) is USER


def demo_mapping_plain() -> ObjectMapping:
    raw = demo_connector()["object_types"]["User"]
    generic = {k: v for k, v in raw.items() if k in GENERIC_OBJECT_TYPE_KEYS}
    return ObjectMapping("User", ObjectTypeConfig.model_validate(generic), has_members=False)


def test_extension_urns_resolve_without_a_schemas_list() -> None:
    bare = {k: v for k, v in USER.items() if k != "schemas"}
    assert project(bare, [f"{ENTERPRISE}:employeeNumber"], None) == {
        "id": "g-1",
        "meta": USER["meta"],
        ENTERPRISE: {"employeeNumber": "7"},
    }
    assert ECMA not in project(bare, None, [ECMA])


def test_a_false_value_is_not_dropped_by_excluding_a_sub_attribute_it_does_not_have() -> None:
    user = {**USER, "active": False}
    assert project(user, None, ["active.value"])["active"] is False
    assert "active" not in project(user, None, ["active"])
