"""`ScriptConnector.verify` on a real machine: the example connectors find their programs; a program or script
that does not exist, or a working directory that does not, is named with its key."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.base import TargetProblem
from ecmahost.connectors.script import ScriptConnector
from ecmahost.home import Home

EXAMPLES = Path(__file__).parents[2] / "examples" / "scripts"
pytestmark = pytest.mark.anyio


def example_raw(kind: str, **connection: Any) -> dict[str, Any]:
    raw = YAML(typ="safe").load((EXAMPLES / kind / "connector.yaml").read_text(encoding="utf-8"))
    raw["connection"]["working_directory"] = str(EXAMPLES / kind)
    raw["connection"].update(connection)
    if raw["connection"]["command"][0] == "python3":
        raw["connection"]["command"][0] = sys.executable
    return raw


async def verify(home: Path, raw: dict[str, Any]) -> dict[str, TargetProblem]:
    connector = ScriptConnector(ConnectorStore(Home(home)).save(raw), home=home)
    try:
        return {problem.where: problem for problem in await connector.verify()}
    finally:
        await connector.close()


@pytest.mark.parametrize("kind", ["python", "shell"])
async def test_the_examples_find_their_programs(kind: str, tmp_path: Path) -> None:
    assert await verify(tmp_path, example_raw(kind)) == {}


async def test_a_script_file_that_does_not_exist_is_named(tmp_path: Path) -> None:
    found = await verify(tmp_path, example_raw("python", command=[sys.executable, "user_connector.py"]))
    assert "the script user_connector.py does not exist" in found["connection.command"].problem


async def test_a_program_not_on_the_path_is_named(tmp_path: Path) -> None:
    found = await verify(tmp_path, example_raw("python", command=["no-such-interpreter-7", "users_connector.py"]))
    assert "'no-such-interpreter-7' is not on the PATH" in found["connection.command"].problem


async def test_a_working_directory_that_does_not_exist_is_named(tmp_path: Path) -> None:
    found = await verify(tmp_path, example_raw("python", working_directory=str(tmp_path / "nowhere")))
    assert "does not exist" in found["connection.working_directory"].problem
