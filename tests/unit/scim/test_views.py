"""`views:` decides which SCIM views of the selected attributes a connector serves: core (+ enterprise), the
ECMA2Host extension, or both; and `meta.created`/`meta.lastModified` filter and sort where the target stores them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ecmahost import errors
from ecmahost.config.model import GENERIC_OBJECT_TYPE_KEYS, ObjectTypeConfig, SchemaViews
from ecmahost.connectors import query as q
from ecmahost.demo import demo_connector
from ecmahost.scim.filter_map import FilterTranslator, sort_key
from ecmahost.scim.filter_parser import parse_attr_path, parse_filter
from ecmahost.scim.mapping import ObjectMapping
from ecmahost.scim.patch import PatchPlanner, parse_operations
from ecmahost.scim.resources import check_schemas, extract, render

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ECMA = "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BASE = "https://host:8585/ecma2host_demo/scim"
STAMPS = frozenset({q.META_CREATED, q.META_MODIFIED})


def demo(views: SchemaViews, timestamps: frozenset[str] = STAMPS) -> ObjectMapping:
    raw = demo_connector()["object_types"]["User"]
    config = ObjectTypeConfig.model_validate({k: v for k, v in raw.items() if k in GENERIC_OBJECT_TYPE_KEYS})
    return ObjectMapping("User", config, has_members=False, views=views, timestamps=timestamps)


RECORD = {"InternalGUID": "g-1", "ContosoLogin": "alice", "AzureID": "az", "Active": True, "EmployeeNumber": "7"}


def test_core_view_renders_no_extension_and_hides_attributes_without_a_core_path() -> None:
    user = render(demo(SchemaViews.CORE), RECORD, base_url=BASE)
    assert user["userName"] == "alice"
    assert user[ENTERPRISE] == {"employeeNumber": "7"}
    assert ECMA not in user
    assert "AzureID" not in str(user), "AzureID has no scim: path, so the core view does not serve it"
    assert user["schemas"] == [CORE_USER, ENTERPRISE]


def test_extension_view_renders_only_the_extension() -> None:
    user = render(demo(SchemaViews.EXTENSION), RECORD, base_url=BASE)
    assert set(user) == {"id", "schemas", "meta", ECMA}
    assert user[ECMA]["ContosoLogin"] == "alice"
    assert user[ECMA]["AzureID"] == "az"
    assert user[ECMA]["-dn-"] == "CN=g-1,OBJECT=USER"


@pytest.mark.parametrize(
    "body",
    [
        {"schemas": [CORE_USER, ECMA], "userName": "a"},
        {"schemas": [CORE_USER], "userName": "a", ECMA: {"ContosoLogin": "a"}},
        {"schemas": [CORE_USER], "userName": "a", ECMA.lower(): {}},
    ],
)
def test_core_view_refuses_a_body_written_for_the_extension_naming_the_schema_and_the_fix(body: Any) -> None:
    with pytest.raises(errors.InvalidSyntax, match=r"ECMA2Host:2.0:User is not served.*views: core.*userName"):
        check_schemas(demo(SchemaViews.CORE), body)


def test_core_view_accepts_core_and_enterprise_attributes() -> None:
    mapping = demo(SchemaViews.CORE)
    body = {"schemas": [CORE_USER, ENTERPRISE], "userName": "a", ENTERPRISE: {"employeeNumber": "9"}}
    assert extract(mapping, check_schemas(mapping, body)) == {"ContosoLogin": "a", "EmployeeNumber": "9"}


def test_extension_view_reads_the_extension_and_ignores_core_keys() -> None:
    mapping = demo(SchemaViews.EXTENSION)
    body = {"schemas": [CORE_USER, ECMA], "userName": "ignored", ECMA: {"ContosoLogin": "a", "AzureID": "z"}}
    assert extract(mapping, check_schemas(mapping, body)) == {"ContosoLogin": "a", "AzureID": "z"}


@pytest.mark.parametrize(("core", "extension"), [("Alice", "alice"), ("a", None), (None, "a")])
def test_both_views_take_one_value_at_both_paths(core: Any, extension: Any) -> None:
    body = {"schemas": [CORE_USER], "userName": core, ECMA: {"ContosoLogin": extension}}
    assert extract(demo(SchemaViews.BOTH), body)["ContosoLogin"] in ("alice", "Alice", "a")


def test_both_views_refuse_two_values_and_say_what_to_send() -> None:
    body = {"schemas": [CORE_USER], "userName": "a", ECMA: {"ContosoLogin": "b"}}
    with pytest.raises(errors.InvalidValue) as caught:
        extract(demo(SchemaViews.BOTH), body)
    assert caught.value.detail == (
        f"userName and {ECMA}:ContosoLogin are one target attribute (ContosoLogin) and were given different values "
        "('a' and 'b'): give the same value at both paths, or give only one of them"
    )


def _patch(mapping: ObjectMapping, *operations: dict[str, Any]) -> Any:
    body = {"schemas": [PATCH_OP], "Operations": list(operations)}
    return PatchPlanner(mapping, "g-1", dict(RECORD)).run(parse_operations(body))


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": f"{ECMA}:ContosoLogin", "value": "b"},
        {"op": "replace", "value": {f"{ECMA}:ContosoLogin": "b"}},
        {"op": "replace", "value": {ECMA: {"ContosoLogin": "b"}}},
    ],
)
def test_core_view_refuses_patches_of_the_extension(operation: dict[str, Any]) -> None:
    with pytest.raises(errors.InvalidPath, match="views: core"):
        _patch(demo(SchemaViews.CORE), operation)


def test_extension_view_patches_the_extension_and_active_still_disables() -> None:
    mapping = demo(SchemaViews.EXTENSION)
    plan = _patch(mapping, {"op": "replace", "path": f"{ECMA}:AzureID", "value": "n"})
    assert plan.assign == {"AzureID": "n"}
    assert _patch(mapping, {"op": "replace", "path": "active", "value": "False"}).active is False
    assert _patch(mapping, {"op": "replace", "path": f"{ECMA}:Active", "value": False}).active is False


def translate(mapping: ObjectMapping, text: str) -> q.Filter:
    return FilterTranslator(mapping).translate(parse_filter(text))


def test_core_view_filter_on_the_extension_is_invalid_filter_saying_why() -> None:
    with pytest.raises(errors.InvalidFilter, match="views: core"):
        translate(demo(SchemaViews.CORE), f'{ECMA}:ContosoLogin eq "a"')
    with pytest.raises(errors.InvalidFilter, match="filterable attributes: id, active, displayName"):
        translate(demo(SchemaViews.CORE), 'AzureID eq "a"')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'meta.lastModified gt "2026-01-02T03:04:05Z"',
            q.Compare(q.META_MODIFIED, q.Op.GT, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ),
        (
            f'{CORE_USER}:meta.created le "2026-01-02T00:00:00+01:00"',
            q.Compare(q.META_CREATED, q.Op.LE, datetime(2026, 1, 1, 23, 0, tzinfo=UTC)),
        ),
        ("meta.created pr", q.Present(q.META_CREATED)),
        ("meta.created eq null", q.Not(q.Present(q.META_CREATED))),
    ],
)
def test_meta_timestamps_filter_where_stored(text: str, expected: q.Filter) -> None:
    assert translate(demo(SchemaViews.BOTH), text) == expected


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ('meta.created gt "2026-01-01T00:00:00Z"', "does not store its creation time"),
        ('meta.lastModified eq "2026-01-01T00:00:00Z"', "does not store its modification time"),
        ('meta.version eq "x"', "only meta.created and meta.lastModified"),
    ],
)
def test_meta_timestamps_not_stored_are_invalid_filter_never_match_all(text: str, detail: str) -> None:
    with pytest.raises(errors.InvalidFilter, match=detail):
        translate(demo(SchemaViews.BOTH, timestamps=frozenset()), text)


def test_meta_timestamps_refuse_string_operators_and_non_dates() -> None:
    with pytest.raises(errors.InvalidFilter, match="dateTime"):
        translate(demo(SchemaViews.BOTH), 'meta.created sw "2026"')
    with pytest.raises(errors.InvalidFilter):
        translate(demo(SchemaViews.BOTH), 'meta.created gt "yesterday"')


def test_sort_by_meta_timestamps_id_and_attributes() -> None:
    mapping = demo(SchemaViews.BOTH)
    assert sort_key(mapping, parse_attr_path("meta.created"), "meta.created") == q.META_CREATED
    assert sort_key(mapping, parse_attr_path("meta.lastModified"), "meta.lastModified") == q.META_MODIFIED
    assert sort_key(mapping, parse_attr_path("id"), "id") == "InternalGUID"
    assert sort_key(mapping, parse_attr_path("employeeNumber"), "employeeNumber") == "EmployeeNumber"
    with pytest.raises(errors.InvalidValue, match="does not store its creation time"):
        sort_key(demo(SchemaViews.BOTH, frozenset()), parse_attr_path("meta.created"), "meta.created")
    with pytest.raises(errors.InvalidValue, match="not a sortable attribute"):
        sort_key(demo(SchemaViews.CORE), parse_attr_path(f"{ECMA}:AzureID"), "x")
