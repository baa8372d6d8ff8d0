"""`CsvConnector.verify` against real files: a header without a selected column, a file that is not CSV, an
anchor a CSV file cannot generate; a file that does not exist yet is fine (the first create writes it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.base import TargetProblem
from ecmahost.connectors.csv import CsvConnector
from ecmahost.home import Home

EXAMPLE = Path(__file__).parents[2] / "examples" / "csv" / "people.yaml"
pytestmark = pytest.mark.anyio


async def verify(home: Path, change: Any = None) -> dict[str, TargetProblem]:
    raw = YAML(typ="safe").load(EXAMPLE.read_text(encoding="utf-8"))
    if change is not None:
        change(raw)
    connector = CsvConnector(ConnectorStore(Home(home)).save(raw), home=home)
    return {problem.where: problem for problem in await connector.verify()}


async def test_files_that_do_not_exist_yet_are_no_problem(tmp_path: Path) -> None:
    assert await verify(tmp_path) == {}


async def test_a_header_without_a_selected_column_is_named_with_a_suggestion(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "groups.csv").write_text("Id,Display_Name,ExternalId,Members\n")
    found = await verify(tmp_path)
    problem = found["object_types.Group.attributes.DisplayName"]
    assert problem.problem == "groups.csv has no column 'DisplayName'"
    assert "'Display_Name'" in problem.fix
    assert problem.object_type == "Group"
    assert not any(where.startswith("object_types.User") for where in found)


async def test_a_missing_members_column_is_named(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "groups.csv").write_text("Id,DisplayName,ExternalId\n")
    found = await verify(tmp_path)
    assert "no column 'Members'" in found["object_types.Group.members_column"].problem


async def test_a_file_in_another_encoding_is_named(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "people.csv").write_bytes("Id,Login,Prénom\n".encode("utf-16"))
    found = await verify(tmp_path)
    assert "is not a CSV file in utf-8" in found["object_types.User.file"].problem


async def test_an_anchor_generated_by_the_target_is_refused(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["object_types"]["User"]["anchor"] = {"attribute": "Id", "generate": "target"}

    found = await verify(tmp_path, change)
    assert "cannot generate an anchor" in found["object_types.User.anchor.generate"].problem
