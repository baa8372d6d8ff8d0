"""`connector new|edit --views`: the connector file's `views:` key from the command line (CSV, a real type)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecmahost.cli.main import app
from ecmahost.config.model import SchemaViews
from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home


@pytest.fixture
def csv_home(tmp_path: Path) -> Home:
    where = Home(tmp_path / "home")
    where.ensure()
    (where.root / "data").mkdir()
    (where.root / "data" / "people.csv").write_text("Id,Login,Email\n")
    return where


def run(home: Home, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--home", str(home.root)])
    return result.exit_code, result.output


def test_new_and_edit_set_views_and_both_leaves_the_key_out(csv_home: Home) -> None:
    new = ["connector", "new", "--no-input", "--no-token", "--name", "people", "--type", "csv"]
    code, output = run(
        csv_home, *new, "--connect", "folder=data", "--object-type", "User=people.csv", "--views", "core"
    )
    assert code == 0, output
    store = ConnectorStore(csv_home)
    assert store.load("people").views is SchemaViews.CORE
    assert store.read_raw("people")["views"] == "core"
    code, output = run(csv_home, "connector", "edit", "people", "--no-input", "--views", "Both")
    assert code == 0, output
    assert store.load("people").views is SchemaViews.BOTH
    assert "views" not in store.read_raw("people")
    code, output = run(csv_home, "connector", "edit", "people", "--no-input", "--description", "HR")
    assert code == 0, output
    assert store.load("people").views is SchemaViews.BOTH


def test_an_unknown_views_value_lists_the_choices_and_changes_nothing(csv_home: Home) -> None:
    new = ["connector", "new", "--no-input", "--no-token", "--name", "people", "--type", "csv"]
    code, output = run(csv_home, *new, "--connect", "folder=data", "--object-type", "User=people.csv", "--views", "all")
    assert code == 1
    assert "--views 'all': choose one of both, core, extension" in output
    assert ConnectorStore(csv_home).list() == []
