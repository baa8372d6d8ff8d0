"""`kit.MemoryConnector` against the connector contract, on the demo connector file's object types, plus what only
a test double promises: a fresh store per instance and records the caller may mutate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ecmahost.demo import demo_connector
from ecmahost.kit import Change, MemoryConnector, ObjectExists, SearchQuery

from contract import ConnectorContract, ContractNames

NAMES = ContractNames(
    login="ContosoLogin",
    given_name="FirstName",
    family_name="LastName",
    email="Email",
    group_name="DisplayName",
    boolean="Active",
    complex="PhoneNumbers",
)


def memory_demo(tmp_path: Path) -> MemoryConnector:
    return MemoryConnector(MemoryConnector.config_like(demo_connector()), home=tmp_path)


class TestMemoryContract(ConnectorContract):
    @pytest.fixture
    def contract_names(self) -> ContractNames:
        return NAMES

    @pytest.fixture
    async def contract_connector(self, tmp_path: Path) -> AsyncIterator[MemoryConnector]:
        connector = memory_demo(tmp_path)
        await connector.open()
        yield connector
        await connector.close()


@pytest.mark.anyio
async def test_each_instance_starts_empty(tmp_path: Path) -> None:
    first = memory_demo(tmp_path)
    await first.create("User", {"ContosoLogin": "kept"})
    assert (await memory_demo(tmp_path).search("User", SearchQuery())).total == 0


@pytest.mark.anyio
async def test_returned_records_are_copies(tmp_path: Path) -> None:
    connector = memory_demo(tmp_path)
    phones = [{"value": "1", "type": "work"}]
    created = await connector.create("User", {"ContosoLogin": "copy", "PhoneNumbers": phones})
    created["PhoneNumbers"][0]["value"] = "changed"
    phones[0]["value"] = "changed too"
    stored = await connector.get("User", created["InternalGUID"])
    assert stored["PhoneNumbers"][0]["value"] == "1"
    updated = await connector.update("User", created["InternalGUID"], Change(set={"FirstName": "Ann"}))
    assert updated is not None
    updated["PhoneNumbers"].clear()
    updated["FirstName"] = "changed"
    assert await connector.get("User", created["InternalGUID"], frozenset({"FirstName", "PhoneNumbers"})) == {
        "InternalGUID": created["InternalGUID"],
        "FirstName": "Ann",
        "PhoneNumbers": [{"value": "1", "type": "work"}],
    }


@pytest.mark.anyio
async def test_unique_values_are_enforced_case_insensitively(tmp_path: Path) -> None:
    connector = memory_demo(tmp_path)
    await connector.create("User", {"ContosoLogin": "Same"})
    with pytest.raises(ObjectExists, match="ContosoLogin"):
        await connector.create("User", {"ContosoLogin": "SAME"})


def test_it_is_not_an_installed_connector_type() -> None:
    """A connector file cannot name it: a test hands it to the host (`HostRuntime.build(types=...)`)."""
    from ecmahost.config.connector_types import installed_types

    assert MemoryConnector not in installed_types().values()
