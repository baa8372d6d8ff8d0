"""ecmahost's connector contract against the template connector: the rules every connector type must pass.

pytest collects the contract's rules through this `Test*` subclass; the two fixtures say which connector to test
and which attributes to use."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from ecmahost_connector_template import MemoryConnector

from ecmahost.kit import ConnectorConfig, ConnectorContract, ContractNames

CONFIG = {
    "name": "template",
    "type": "memory",
    "object_types": {
        "User": {
            "anchor": "Id",
            "attributes": {
                "Id": {},
                "Login": {"scim": "userName", "required": True, "unique": True},
                "FirstName": {"scim": "name.givenName"},
                "LastName": {"scim": "name.familyName"},
                "Email": {"scim": 'emails[type eq "work"].value'},
                "Active": {"scim": "active", "type": "boolean"},
                "Phones": {"type": "complex", "multi_valued": True, "sub_attributes": ["value", "type"]},
            },
        },
        "Group": {
            "anchor": "Id",
            "attributes": {"Id": {}, "DisplayName": {"scim": "displayName", "required": True, "unique": True}},
        },
    },
}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> MemoryConnector:
    """One connector for the whole module: the contract's tests isolate themselves by a random tag."""
    return MemoryConnector(ConnectorConfig.model_validate(CONFIG), home=tmp_path_factory.mktemp("home"))


class TestMemoryConnector(ConnectorContract):
    @pytest.fixture
    def contract_names(self) -> ContractNames:
        return ContractNames(
            login="Login",
            given_name="FirstName",
            family_name="LastName",
            email="Email",
            group_name="DisplayName",
            boolean="Active",
            complex="Phones",
        )

    @pytest.fixture
    async def contract_connector(self, shared: MemoryConnector) -> AsyncIterator[MemoryConnector]:
        await shared.open()
        yield shared
        await shared.close()
