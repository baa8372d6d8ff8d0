"""Connector refusals as SCIM errors: the status and scimType, and the target attribute named with the SCIM path
the client wrote."""

from __future__ import annotations

from ecmahost import errors
from ecmahost.connectors.errors import ConstraintViolation, MembersNotFound, ObjectExists, Problem
from ecmahost.scim.target_errors import scim_error

from demo_mapping import demo_mapping

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def test_a_taken_value_is_409_uniqueness_naming_the_scim_path() -> None:
    refused = ObjectExists("ContosoLogin: the value is already taken", attribute="ContosoLogin", problem=Problem.TAKEN)
    error = scim_error(refused, demo_mapping())
    assert isinstance(error, errors.Uniqueness)
    assert error.detail == "userName (target attribute ContosoLogin): the value is already taken"


def test_the_attribute_is_found_whatever_case_the_target_writes_it_in() -> None:
    refused = ConstraintViolation("department: too long", attribute="department", problem=Problem.TOO_LONG)
    error = scim_error(refused, demo_mapping())
    assert isinstance(error, errors.InvalidValue)
    assert error.detail == f"{ENTERPRISE}:department (target attribute Department): too long"


def test_a_sub_attribute_of_a_child_table_is_named_with_its_parent() -> None:
    detail = "PhoneNumbers.value is required by the target: send it or give the column a default"
    refused = ConstraintViolation(detail, attribute="PhoneNumbers.value", problem=Problem.REQUIRED)
    error = scim_error(refused, demo_mapping())
    assert error is not None
    assert error.detail.startswith("phoneNumbers.value (target attribute PhoneNumbers.value) is required")


def test_a_required_column_the_connector_does_not_map_says_to_map_it_or_default_it() -> None:
    detail = "LegacyCode is required by the target: send it or give the column a default"
    refused = ConstraintViolation(detail, attribute="LegacyCode", problem=Problem.REQUIRED)
    error = scim_error(refused, demo_mapping())
    assert error is not None
    assert "LegacyCode" in error.detail
    assert "does not map" in error.detail
    assert "default" in error.detail


def test_a_refusal_without_an_attribute_keeps_its_detail() -> None:
    error = scim_error(MembersNotFound(["x"]), demo_mapping("Group"))
    assert isinstance(error, errors.InvalidValue)
    assert error.detail.startswith("members: no User with id 'x'")
