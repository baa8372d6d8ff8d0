"""The PUT rule (`scim.replace`): what a full replace sets, clears and leaves alone, by the views the body is
written in and what the target cannot clear; id, anchor and immutable changes refused."""

from __future__ import annotations

from typing import Any

import pytest

from ecmahost import errors
from ecmahost.config.model import GENERIC_OBJECT_TYPE_KEYS, ObjectTypeConfig, SchemaViews
from ecmahost.connectors.base import ClearRules
from ecmahost.demo import demo_connector
from ecmahost.scim.mapping import ObjectMapping
from ecmahost.scim.replace import CORE, ENTERPRISE, EXTENSION, asserted_views, check_immutable, plan

from demo_mapping import demo_mapping

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ECMA = "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:User"
DEMO_RULES = ClearRules(keep=frozenset({"Active", "IsSoftDeleted"}), required=frozenset({"ContosoLogin"}))
"""what the demo's Employees table says: NOT NULL with a default, NOT NULL without one"""


def core_user(**extra: Any) -> dict[str, Any]:
    return {
        "schemas": [CORE_USER],
        "userName": "alice",
        "name": {"givenName": "Alice", "familyName": "Smith"},
        **extra,
    }


def mapping_with(views: SchemaViews, object_type: str = "User") -> ObjectMapping:
    raw = demo_connector()["object_types"][object_type]
    generic = {k: v for k, v in raw.items() if k in GENERIC_OBJECT_TYPE_KEYS}
    config = ObjectTypeConfig.model_validate(generic)
    return ObjectMapping(object_type, config, has_members=object_type == "Group", views=views)


def test_a_core_body_clears_absent_core_attributes_and_leaves_extension_only_ones_alone() -> None:
    change = plan(demo_mapping(), core_user(), "g-1", DEMO_RULES).change
    assert change.set["ContosoLogin"] == "alice"
    assert change.set["FirstName"] == "Alice"
    for cleared in ("Email", "Title", "NickName", "DisplayName", "ExternalId", "PreferredLanguage"):
        assert change.set[cleared] is None, cleared
    assert change.replace == {"PhoneNumbers": []}
    for untouched in ("AzureID", "textID", "IsSoftDeleted", "InternalGUID"):
        assert untouched not in change.set, "extension-only, or the anchor"
    assert "Active" not in change.set, "NOT NULL with a default: left alone"
    assert "Department" not in change.set, "the body does not list the enterprise extension"


def test_listing_the_enterprise_extension_clears_its_absent_attributes() -> None:
    body = core_user(schemas=[CORE_USER, ENTERPRISE_URN], **{ENTERPRISE_URN: {"department": "Sales"}})
    change = plan(demo_mapping(), body, "g-1", DEMO_RULES).change
    assert change.set["Department"] == "Sales"
    assert change.set["CostCenter"] is None
    assert change.set["ManagerGUID"] is None


def test_a_body_in_the_extension_view_only_leaves_core_mapped_attributes_it_omits() -> None:
    body = {"schemas": [CORE_USER, ECMA], ECMA: {"ContosoLogin": "alice", "AzureID": "az"}}
    assert asserted_views(demo_mapping(), body) == {EXTENSION}
    change = plan(demo_mapping(), body, "g-1", DEMO_RULES).change
    assert change.set["AzureID"] == "az"
    assert change.set["textID"] is None, "extension attributes the body omits are cleared"
    assert change.set["ContosoLogin"] == "alice", "a core-mapped attribute may be written in the extension view"
    assert "FirstName" not in change.set, "but only a body in the core view clears it"
    assert "IsSoftDeleted" not in change.set
    assert "Active" not in change.set


def test_a_body_in_both_views_asserts_both() -> None:
    body = core_user(schemas=[CORE_USER, ENTERPRISE_URN, ECMA], **{ECMA: {"AzureID": "az"}})
    assert asserted_views(demo_mapping(), body) == {CORE, ENTERPRISE, EXTENSION}
    change = plan(demo_mapping(), body, "g-1", DEMO_RULES).change
    assert change.set["textID"] is None
    assert change.set["CostCenter"] is None


def test_explicit_null_is_like_absent() -> None:
    change = plan(demo_mapping(), core_user(title=None, active=None), "g-1", DEMO_RULES).change
    assert change.set["Title"] is None
    assert "Active" not in change.set, "the target's default is kept"


def test_a_required_or_not_null_attribute_absent_is_400_naming_it() -> None:
    body = core_user()
    del body["userName"]
    with pytest.raises(errors.InvalidValue, match="userName"):
        plan(demo_mapping(), body, "g-1", DEMO_RULES)
    rules = ClearRules(required=frozenset({"LastName"}))
    with pytest.raises(errors.InvalidValue, match=r"name\.familyName"):
        plan(demo_mapping(), core_user(name={"givenName": "A"}), "g-1", rules)


def test_a_required_attribute_in_a_view_the_body_does_not_use_is_not_asked_for() -> None:
    rules = ClearRules(required=frozenset({"AzureID"}))
    assert "AzureID" not in plan(demo_mapping(), core_user(), "g-1", rules).change.set


def test_id_or_anchor_that_differ_from_the_url_are_400_mutability() -> None:
    with pytest.raises(errors.Mutability, match="id"):
        plan(demo_mapping(), core_user(id="other"), "g-1", DEMO_RULES)
    with pytest.raises(errors.Mutability, match="InternalGUID"):
        plan(demo_mapping(), core_user(schemas=[CORE_USER, ECMA], **{ECMA: {"InternalGUID": "x"}}), "g-1", DEMO_RULES)
    same = plan(
        demo_mapping(),
        core_user(id="G-1", schemas=[CORE_USER, ECMA], **{ECMA: {"InternalGUID": "G-1"}}),
        "G-1",
        DEMO_RULES,
    )
    assert "InternalGUID" not in same.change.set, "the anchor is never written"


def test_other_read_only_values_in_the_body_are_ignored() -> None:
    body = core_user(meta={"version": 'W/"x"'}, schemas=[CORE_USER, ECMA], **{ECMA: {"-dn-": "CN=x,OBJECT=USER"}})
    assert "-dn-" not in plan(demo_mapping(), body, "g-1", DEMO_RULES).change.set


def test_an_immutable_attribute_may_be_set_once_and_never_changed() -> None:
    raw = demo_connector()["object_types"]["User"]
    raw["attributes"]["EmployeeNumber"] = {**raw["attributes"]["EmployeeNumber"], "mutability": "immutable"}
    generic = {k: v for k, v in raw.items() if k in GENERIC_OBJECT_TYPE_KEYS}
    mapping = ObjectMapping("User", ObjectTypeConfig.model_validate(generic), has_members=False)
    body = core_user(schemas=[CORE_USER, ENTERPRISE_URN], **{ENTERPRISE_URN: {"employeeNumber": "7"}})
    replacement = plan(mapping, body, "g-1", DEMO_RULES)
    check_immutable(mapping, replacement, {"EmployeeNumber": None})
    check_immutable(mapping, replacement, {"EmployeeNumber": "7"})
    with pytest.raises(errors.Mutability, match="employeeNumber"):
        check_immutable(mapping, replacement, {"EmployeeNumber": "8"})
    omitted = plan(mapping, core_user(schemas=[CORE_USER, ENTERPRISE_URN]), "g-1", DEMO_RULES)
    assert "EmployeeNumber" not in omitted.change.set, "an absent immutable attribute is not cleared"


def test_group_members_are_replaced_by_a_core_body_and_left_by_an_extension_only_one() -> None:
    group = demo_mapping("Group")
    assert plan(group, {"schemas": [CORE_GROUP], "displayName": "g"}, "g-1", ClearRules()).replaces_members
    ecma_group = "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:Group"
    body = {"schemas": [CORE_GROUP, ecma_group], ecma_group: {"DisplayName": "g"}}
    assert not plan(group, body, "g-1", ClearRules()).replaces_members
    assert plan(group, {**body, "members": []}, "g-1", ClearRules()).replaces_members


@pytest.mark.parametrize("views", [SchemaViews.CORE, SchemaViews.EXTENSION])
def test_only_the_views_a_connector_serves_count(views: SchemaViews) -> None:
    mapping = mapping_with(views)
    if views is SchemaViews.CORE:
        change = plan(mapping, core_user(), "g-1", DEMO_RULES).change
        assert "AzureID" not in change.set, "not served: never touched"
        assert change.set["Title"] is None
    else:
        body = {"schemas": [CORE_USER, ECMA], ECMA: {"ContosoLogin": "alice"}}
        change = plan(mapping, body, "g-1", DEMO_RULES).change
        assert change.set["Title"] is None
        assert change.set["AzureID"] is None
        assert asserted_views(mapping, body) == {EXTENSION}


def test_an_explicit_null_clears_in_whichever_view_it_is_given() -> None:
    body = {"schemas": [CORE_USER, ECMA], ECMA: {"ContosoLogin": "alice", "FirstName": None, "Active": None}}
    change = plan(demo_mapping(), body, "g-1", DEMO_RULES).change
    assert change.set["FirstName"] is None
    assert "Active" not in change.set, "a defaulted column is still left alone"
