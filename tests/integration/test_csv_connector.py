"""The CSV connector against real files: the connector contract on the example connector of docs/csv-connector.md,
plus CSV-only rules: the file format, atomic writes, serialized writers, configuration errors."""

from __future__ import annotations

import asyncio
import csv
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ecmahost.config.model import ConnectorConfig
from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.csv import CsvConnector
from ecmahost.connectors.errors import ConfigurationError, ObjectExists
from ecmahost.connectors.query import Change, Compare, Op, SearchQuery
from ecmahost.home import Home

from contract import ConnectorContract, ContractNames

EXAMPLE = Path(__file__).parents[2] / "examples" / "csv" / "people.yaml"
NAMES = ContractNames(
    login="Login",
    given_name="FirstName",
    family_name="LastName",
    email="Email",
    group_name="DisplayName",
    boolean="Active",
    complex="Phones",
)


def example_raw(**connection: Any) -> dict[str, Any]:
    raw = YAML(typ="safe").load(EXAMPLE.read_text(encoding="utf-8"))
    raw["connection"].update(connection)
    return raw


def saved(home: Path, raw: dict[str, Any]) -> ConnectorConfig:
    return ConnectorStore(Home(home)).save(raw)


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("csv-home")


class TestCsvContract(ConnectorContract):
    @pytest.fixture
    def contract_names(self) -> ContractNames:
        return NAMES

    @pytest.fixture
    async def contract_connector(self, shared_home: Path) -> AsyncIterator[CsvConnector]:
        connector = CsvConnector(saved(shared_home, example_raw(fsync=False)), home=shared_home)
        await connector.open()
        yield connector
        await connector.close()


@pytest.fixture
async def people(tmp_path: Path) -> AsyncIterator[CsvConnector]:
    connector = CsvConnector(saved(tmp_path, example_raw(delimiter=";", encoding="latin-1")), home=tmp_path)
    await connector.open()
    yield connector
    await connector.close()


@pytest.mark.anyio
async def test_file_uses_the_configured_delimiter_encoding_and_anchor_column(people: CsvConnector) -> None:
    created = await people.create("User", {"Login": "zoë", "Active": True, "Phones": [{"value": "1", "type": "work"}]})
    raw = (people.folder / "people.csv").read_bytes()
    assert "zoë".encode("latin-1") in raw
    with (people.folder / "people.csv").open(encoding="latin-1", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert rows[0]["Id"] == created["Id"]
    assert rows[0]["Active"] == "true"
    assert rows[0]["Phones"] == '[{"value":"1","type":"work"}]'


@pytest.mark.anyio
async def test_rows_edited_by_hand_are_read_typed(people: CsvConnector) -> None:
    path = people.folder / "people.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    values = {"Id": "x1", "Login": "hand", "Active": "false", "Extra": "kept"}
    header = [*people.config.object_types["User"].attributes, "Extra"]
    row = ";".join(values.get(column, "") for column in header)
    path.write_text(f"{';'.join(header)}\n{row}\n", encoding="latin-1")
    record = await people.get("User", "x1")
    assert record["Login"] == "hand"
    assert record["Active"] is False
    await people.update("User", "x1", Change(set={"FirstName": "Edited"}))
    assert "kept" in path.read_text(encoding="latin-1"), "columns the connector does not know are kept"


@pytest.mark.anyio
async def test_a_write_replaces_the_file_atomically(people: CsvConnector) -> None:
    await people.create("User", {"Login": "first"})
    path = people.folder / "people.csv"
    before = os.stat(path).st_ino
    await people.create("User", {"Login": "second"})
    assert os.stat(path).st_ino != before, "a new file was renamed over the old one"
    assert not [p for p in path.parent.iterdir() if p.suffix == ".tmp"], "no temporary file is left behind"


@pytest.mark.anyio
async def test_concurrent_creates_are_serialized_and_lose_nothing(people: CsvConnector) -> None:
    await asyncio.gather(*(people.create("User", {"Login": f"u{i}"}) for i in range(40)))
    result = await people.search("User", SearchQuery())
    assert result.total == 40
    duplicate = await asyncio.gather(
        *(people.create("User", {"Login": "same"}) for _ in range(5)), return_exceptions=True
    )
    assert sum(isinstance(outcome, ObjectExists) for outcome in duplicate) == 4


@pytest.mark.anyio
async def test_a_failed_write_leaves_the_file_untouched(people: CsvConnector) -> None:
    created = await people.create("User", {"Login": "keep"})
    path = people.folder / "people.csv"
    before = path.read_bytes()
    await people.create("User", {"Login": "other"})
    between = path.read_bytes()
    with pytest.raises(ObjectExists):
        await people.update("User", created["Id"], Change(set={"Login": "OTHER"}))
    assert path.read_bytes() == between != before


@pytest.mark.anyio
async def test_a_missing_column_is_a_configuration_error_naming_it(people: CsvConnector) -> None:
    path = people.folder / "people.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("Id;FirstName\n", encoding="latin-1")
    with pytest.raises(ConfigurationError, match="Login"):
        await people.search("User", SearchQuery(filter=Compare("Login", Op.EQ, "x")))


@pytest.mark.anyio
async def test_discovery_lists_each_file_and_its_columns(people: CsvConnector) -> None:
    await people.create("User", {"Login": "someone"})
    schema = await people.discover()
    files = {c.name: c for c in schema.object_classes}
    assert {"people.csv", "groups.csv"} == set(files)
    columns = {a.name: a for a in files["people.csv"].attributes}
    assert columns["Id"].primary_key
    assert "Login" in columns
