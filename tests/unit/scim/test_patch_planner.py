"""PATCH planning: Entra's shapes (both with and without `aadOptscim062020`) become the right target change."""

from __future__ import annotations

from typing import Any

import pytest

from ecmahost import errors
from ecmahost.connectors.query import Change
from ecmahost.scim.patch import NeedCurrent, PatchPlanner, parse_operations

from demo_mapping import demo_mapping

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ECMA = "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:User"


def plan(*operations: dict[str, Any], object_type: str = "User", current: dict[str, Any] | None = None) -> Change:
    mapping = demo_mapping(object_type)
    ops = parse_operations({"schemas": [PATCH_OP], "Operations": list(operations)})
    return PatchPlanner(mapping, "anchor-1", current).run(ops).to_change(mapping)


def test_capitalized_ops_and_value_filter_paths_set_the_mapped_columns() -> None:
    change = plan(
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "new@x.org"},
        {"op": "Replace", "path": "name.familyName", "value": "Doe"},
    )
    assert change.set == {"Email": "new@x.org", "LastName": "Doe"}


@pytest.mark.parametrize("value", ["False", "false", False])
def test_disable_accepts_the_string_false_and_applies_the_disable_flow(value: Any) -> None:
    change = plan({"op": "Replace", "path": "active", "value": value})
    assert change.set == {"Active": False}


def test_enable_with_the_string_true_reverses_the_disable_flow() -> None:
    assert plan({"op": "Replace", "path": "active", "value": "True"}).set == {"Active": True}


def test_pathless_replace_with_dotted_and_urn_keys() -> None:
    change = plan(
        {
            "op": "replace",
            "value": {"displayName": "A", "name.givenName": "B", f"{ENTERPRISE}:employeeNumber": "7"},
        }
    )
    assert change.set == {"DisplayName": "A", "FirstName": "B", "EmployeeNumber": "7"}


def test_pathless_replace_with_nested_schema_objects() -> None:
    change = plan({"op": "replace", "value": {ENTERPRISE: {"department": "R&D"}, "name": {"familyName": "X"}}})
    assert change.set == {"Department": "R&D", "LastName": "X"}


def test_a_path_naming_the_enterprise_extension_sets_its_attributes_and_skips_its_schemas() -> None:
    value = {"schemas": [ENTERPRISE], "department": "R&D", "employeeNumber": "7"}
    for op in ("add", "replace"):
        change = plan({"op": op, "path": ENTERPRISE, "value": value})
        assert change.set == {"Department": "R&D", "EmployeeNumber": "7"}


def test_removing_the_enterprise_extension_by_its_urn_clears_every_attribute_mapped_under_it() -> None:
    change = plan({"op": "remove", "path": ENTERPRISE})
    assert change.set == {
        name: None for name in ("CostCenter", "Department", "EmployeeNumber", "ManagerGUID", "Organization")
    }


def test_pathless_keys_the_connector_does_not_store_are_ignored() -> None:
    assert plan({"op": "replace", "value": {"displayName": "A", "roles": []}}).set == {"DisplayName": "A"}


def test_explicit_path_the_connector_does_not_store_is_invalid_path() -> None:
    with pytest.raises(errors.InvalidPath, match="names nothing this connector stores"):
        plan({"op": "replace", "path": "x509Certificates", "value": "x"})


def test_manager_as_bare_path_with_a_reference_list() -> None:
    change = plan({"op": "Add", "path": "manager", "value": [{"$ref": "https://h/Users/m", "value": "m-1"}]})
    assert change.set == {"ManagerGUID": "m-1"}


def test_extension_attribute_path_and_remove_clears_it() -> None:
    assert plan({"op": "Add", "path": f"{ECMA}:textID", "value": "t"}).set == {"textID": "t"}
    assert plan({"op": "Remove", "path": f"{ECMA}:textID"}).set == {"textID": None}


def test_the_anchor_and_read_only_attributes_cannot_be_patched() -> None:
    with pytest.raises(errors.Mutability):
        plan({"op": "replace", "path": f"{ECMA}:InternalGUID", "value": "other"})


def test_remove_without_a_path_is_no_target() -> None:
    with pytest.raises(errors.NoTarget):
        parse_operations({"schemas": [PATCH_OP], "Operations": [{"op": "remove"}]})


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"Operations": [{"op": "add", "path": "title", "value": "x"}]}, errors.InvalidSyntax),
        ({"schemas": [PATCH_OP], "Operations": []}, errors.InvalidSyntax),
        ({"schemas": [PATCH_OP], "Operations": [{"op": "move", "path": "title"}]}, errors.InvalidSyntax),
        ({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "title"}]}, errors.InvalidSyntax),
        ({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "title[", "value": 1}]}, errors.InvalidPath),
        ([1, 2], errors.InvalidSyntax),
    ],
    ids=["no-schemas", "no-operations", "unknown-op", "add-without-value", "bad-path", "not-an-object"],
)
def test_malformed_patch_bodies_are_rejected(body: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_operations(body)


def test_a_bad_value_in_a_later_operation_fails_the_whole_patch() -> None:
    with pytest.raises(errors.InvalidValue):
        plan(
            {"op": "replace", "path": "displayName", "value": "fine"},
            {"op": "replace", "path": "active", "value": "perhaps"},
        )


def test_members_added_and_removed_by_value_list_and_by_filter() -> None:
    change = plan(
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": "u1"}, {"value": "u2"}]},
        {"op": "Remove", "path": "members", "value": [{"value": "u3"}]},
        {"op": "remove", "path": 'members[value eq "u4"]'},
        object_type="Group",
    )
    assert change.add_members == ["u1", "u2"]
    assert change.remove_members == ["u3", "u4"]
    assert not change.clear_members


def test_replace_members_clears_then_adds() -> None:
    change = plan({"op": "replace", "path": "members", "value": [{"value": "u9"}]}, object_type="Group")
    assert change.clear_members
    assert change.add_members == ["u9"]


def test_member_filter_other_than_value_eq_is_refused() -> None:
    with pytest.raises(errors.InvalidPath):
        plan({"op": "remove", "path": 'members[display eq "x"]'}, object_type="Group")


def test_list_attributes_need_the_current_value_and_merge_with_it() -> None:
    operation = {"op": "add", "path": "phoneNumbers", "value": [{"type": "home", "value": "2"}]}
    with pytest.raises(NeedCurrent):
        plan(operation)
    current = {"PhoneNumbers": [{"type": "work", "value": "1"}]}
    change = plan(operation, current=current)
    assert change.replace == {"PhoneNumbers": [{"type": "work", "value": "1"}, {"type": "home", "value": "2"}]}


def test_removing_a_whole_list_attribute_clears_it_without_reading_it() -> None:
    assert plan({"op": "remove", "path": "phoneNumbers"}).replace == {"PhoneNumbers": []}


def test_replacing_emails_as_a_list_maps_each_typed_element() -> None:
    change = plan({"op": "replace", "path": "emails", "value": [{"type": "work", "value": "w@x", "primary": True}]})
    assert change.set == {"Email": "w@x"}
