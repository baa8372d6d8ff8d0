"""The discovery documents agree with each other and with what the host renders, for every connector type's typical
connector file and every `views:` setting: an extension in a ResourceType's `schemaExtensions` is described in
`/Schemas`, every attribute a resource carries belongs to a described schema, and OpenAPI shows the same views."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from ecmahost.config.model import (
    GENERIC_OBJECT_TYPE_KEYS,
    AttributeType,
    LimitsConfig,
    ObjectTypeConfig,
    SchemaViews,
)
from ecmahost.connectors.query import MEMBERS
from ecmahost.demo import demo_connector
from ecmahost.scim import discovery, urns
from ecmahost.scim.mapping import MappingError, ObjectMapping
from ecmahost.scim.openapi import resource_schema
from ecmahost.scim.resources import render

from support.slapd import connector_file as ldap_connector_file

ROOT = Path(__file__).parents[3]
BASE = "https://host:8585/ecma2host_x/scim"
MEMBER_KEYS = ("members", "members_column", "member_attribute")
ALWAYS = {"id", "schemas", "meta"}


def _yaml(path: str) -> dict[str, Any]:
    return YAML(typ="safe").load((ROOT / path).read_text(encoding="utf-8"))


def _csv_core_only() -> dict[str, Any]:
    """The issue's case: a CSV connector mapping only core attributes (no enterprise ones)."""
    raw = _yaml("examples/csv/people.yaml")
    user = raw["object_types"]["User"]["attributes"]
    raw["object_types"]["User"]["attributes"] = {
        k: v for k, v in user.items() if "enterprise" not in str(v.get("scim", "")) if isinstance(v, dict)
    }
    return raw


CONNECTORS = {
    "sql-demo": lambda: demo_connector(),
    "csv": lambda: _yaml("examples/csv/people.yaml"),
    "csv-core-attributes-only": _csv_core_only,
    "rest": lambda: _yaml("examples/rest/connector.yaml"),
    "script": lambda: _yaml("examples/scripts/python/connector.yaml"),
    "ldap": lambda: ldap_connector_file(SimpleNamespace(port=389)),  # type: ignore[arg-type]
}


def mappings(raw: dict[str, Any], views: SchemaViews) -> list[ObjectMapping]:
    found = []
    for name, object_type in raw["object_types"].items():
        generic = {k: v for k, v in object_type.items() if k in GENERIC_OBJECT_TYPE_KEYS}
        has_members = name == "Group" and (raw["type"] == "script" or any(k in object_type for k in MEMBER_KEYS))
        config = ObjectTypeConfig.model_validate(generic)
        found.append(ObjectMapping(name, config, has_members=has_members, views=views))
    return found


def full_record(mapping: ObjectMapping) -> dict[str, Any]:
    """A value in every selected attribute, as a connector would return it."""
    samples = {
        AttributeType.BOOLEAN: True,
        AttributeType.INTEGER: 7,
        AttributeType.DECIMAL: 1.5,
        AttributeType.DATETIME: datetime(2026, 1, 2, tzinfo=UTC),
    }
    record: dict[str, Any] = {}
    for name, item in mapping.fields.items():
        if item.is_complex:
            record[name] = [
                {
                    sub: ("work" if sub == "type" else True if sub == "primary" else "v")
                    for sub in item.config.sub_attributes
                }
            ]
        else:
            value = samples.get(item.type, f"{name}-value")
            record[name] = [value] if item.config.multi_valued else value
    if mapping.has_members:
        record[MEMBERS] = ["m-1"]
    return record


def _described(documents: list[dict[str, Any]]) -> dict[str, set[str]]:
    return {doc["id"]: {a["name"].lower() for a in doc["attributes"]} for doc in documents}


CASES = [(c, v) for c in CONNECTORS for v in SchemaViews]


@pytest.mark.parametrize(("connector", "views"), CASES, ids=[f"{c}-{v.value}" for c, v in CASES])
def test_every_extension_listed_is_described_and_every_rendered_attribute_belongs_to_a_described_schema(
    connector: str, views: SchemaViews
) -> None:
    for mapping in mappings(CONNECTORS[connector](), views):
        schemas = discovery.schema_documents(mapping, BASE)
        described = _described(schemas)
        resource_type = discovery.resource_type_document(mapping, BASE)
        listed = [e["schema"] for e in resource_type.get("schemaExtensions", [])]
        assert resource_type["schema"] in described
        assert set(listed) | {resource_type["schema"]} == set(described), "listed exactly where described"
        assert all(urn in described for urn in listed)

        resource = render(mapping, full_record(mapping), base_url=BASE)
        assert set(resource["schemas"]) <= set(described)
        for key, value in resource.items():
            if key in described:
                assert {k.lower() for k in value} <= described[key], f"{key} renders undescribed attributes"
            else:
                assert key.lower() in described[mapping.core_urn] | ALWAYS, f"{key} is in no described schema"

        properties = resource_schema(mapping)["properties"]
        for key in properties:
            if key.startswith("urn:"):
                assert key in described, f"OpenAPI shows {key}, which /Schemas does not describe"
            else:
                assert key.lower() in described[mapping.core_urn] | {"schemas"}, key


@pytest.mark.parametrize("connector", list(CONNECTORS))
def test_core_view_serves_no_ecma2host_extension_and_extension_view_no_core_attributes(connector: str) -> None:
    for mapping in mappings(CONNECTORS[connector](), SchemaViews.CORE):
        assert mapping.extension_urn not in _described(discovery.schema_documents(mapping, BASE))
        assert mapping.extension_urn not in render(mapping, full_record(mapping), base_url=BASE)
        assert mapping.extension_urn not in resource_schema(mapping)["properties"]
    for mapping in mappings(CONNECTORS[connector](), SchemaViews.EXTENSION):
        resource = render(mapping, full_record(mapping), base_url=BASE)
        assert set(resource) <= ALWAYS | {mapping.extension_urn, "members"}
        assert urns.ENTERPRISE_USER not in _described(discovery.schema_documents(mapping, BASE))


def test_csv_mapping_only_core_attributes_does_not_list_the_enterprise_extension() -> None:
    user = mappings(_csv_core_only(), SchemaViews.BOTH)[0]
    listed = [e["schema"] for e in discovery.resource_type_document(user, BASE)["schemaExtensions"]]
    assert listed == [user.extension_urn]
    core_only = mappings(_csv_core_only(), SchemaViews.CORE)[0]
    assert "schemaExtensions" not in discovery.resource_type_document(core_only, BASE)


def test_core_view_refuses_a_file_whose_required_attribute_has_no_core_path() -> None:
    raw = demo_connector()["object_types"]["User"]
    generic = {k: v for k, v in raw.items() if k in GENERIC_OBJECT_TYPE_KEYS}
    generic["attributes"]["AzureID"] = {"required": True}
    refused = r"attributes.AzureID: required, but `views: core` serves it at no path.*views: both"
    with pytest.raises(MappingError, match=refused):
        ObjectMapping("User", ObjectTypeConfig.model_validate(generic), has_members=False, views=SchemaViews.CORE)


def test_service_provider_config_tells_the_limits_and_password_support() -> None:
    limits = LimitsConfig(max_page_size=250, max_body_bytes=4096)
    ldap = mappings(CONNECTORS["ldap"](), SchemaViews.BOTH)
    spc = discovery.service_provider_config(limits, BASE, change_password=discovery.changes_password(ldap))
    assert spc["filter"] == {"supported": True, "maxResults": 250}
    assert spc["bulk"]["supported"] is False
    assert spc["patch"]["supported"] is True
    assert spc["sort"]["supported"] is True
    assert spc["etag"]["supported"] is True
    assert spc["changePassword"]["supported"] is True, "the LDAP file maps userPassword to password"
    assert discovery.changes_password(mappings(CONNECTORS["sql-demo"](), SchemaViews.BOTH)) is False
    assert discovery.changes_password(mappings(CONNECTORS["ldap"](), SchemaViews.EXTENSION)) is False


def _attribute(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(a for a in document["attributes"] if a["name"] == name)


def test_selectors_of_value_filtered_mappings_and_member_types_are_canonical_values() -> None:
    """Strict clients fill sub-attributes from `canonicalValues`: an email of a type the connector does not store
    has nowhere to go, and a member is always a User."""
    user, group = mappings(demo_connector(), SchemaViews.CORE)
    emails = _attribute(discovery.schema_documents(user, BASE)[0], "emails")
    assert {s["name"]: s.get("canonicalValues") for s in emails["subAttributes"]} == {"type": ["work"], "value": None}
    phones = _attribute(discovery.schema_documents(user, BASE)[0], "phoneNumbers")
    primary = next(s for s in phones["subAttributes"] if s["name"] == "primary")
    assert primary["type"] == "boolean"
    assert "caseExact" not in primary
    members = _attribute(discovery.schema_documents(group, BASE)[0], "members")
    assert next(s for s in members["subAttributes"] if s["name"] == "type")["canonicalValues"] == ["User"]


# -- the same rules over random mappings ----------------------------------------------------------------------------

SCIM_PATHS = [
    None,
    "userName",
    "displayName",
    "title",
    "externalId",
    "name.givenName",
    "name.familyName",
    'emails[type eq "work"].value',
    'emails[type eq "home"].value',
    'phoneNumbers[type eq "mobile"].value',
    f"{urns.ENTERPRISE_USER}:employeeNumber",
    f"{urns.ENTERPRISE_USER}:department",
    f"{urns.ENTERPRISE_USER}:manager.value",
]


@st.composite
def random_mappings(draw: st.DrawFn) -> ObjectMapping:
    """A User object type whose attributes take distinct random core/enterprise paths (or none), some complex."""
    paths = draw(st.lists(st.sampled_from(SCIM_PATHS[1:]), unique=True, max_size=len(SCIM_PATHS) - 1))
    unmapped = draw(st.integers(min_value=0, max_value=3))
    attributes: dict[str, Any] = {"Key": {"mutability": "readOnly"}}
    for index, path in enumerate(paths):
        attributes[f"A{index}"] = {"scim": path, "required": path == "userName"}
    for index in range(unmapped):
        attributes[f"U{index}"] = {}
    if draw(st.booleans()):
        attributes["Phones"] = {"scim": "addresses", "type": "complex", "sub_attributes": ["value", "type"]}
    config = {"anchor": "Key", "attributes": attributes, "dn": draw(st.sampled_from([None, "autogenerated"]))}
    views = draw(st.sampled_from(list(SchemaViews)))
    try:
        return ObjectMapping("User", ObjectTypeConfig.model_validate(config), has_members=False, views=views)
    except MappingError:
        assume(False)
        raise


@settings(max_examples=200, deadline=None)
@given(random_mappings())
def test_random_mappings_keep_discovery_and_resources_in_agreement(mapping: ObjectMapping) -> None:
    described = _described(discovery.schema_documents(mapping, BASE))
    resource_type = discovery.resource_type_document(mapping, BASE)
    listed = {e["schema"] for e in resource_type.get("schemaExtensions", [])}
    assert listed | {mapping.core_urn} == set(described)
    assert (mapping.extension_urn in described) is (mapping.views is not SchemaViews.CORE)
    resource = render(mapping, full_record(mapping), base_url=BASE)
    assert set(resource["schemas"]) <= set(described)
    for key, value in resource.items():
        if key in described:
            assert {k.lower() for k in value} <= described[key]
        else:
            assert key.lower() in described[mapping.core_urn] | ALWAYS
