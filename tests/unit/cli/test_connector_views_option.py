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


def test_what_the_chosen_views_cannot_serve_is_said_under_its_own_heading_before_any_target_check(
    csv_home: Home,
) -> None:
    new = ["connector", "new", "--no-input", "--no-token", "--name", "people", "--type", "csv"]
    code, output = run(
        csv_home,
        *new,
        "--connect",
        "folder=data",
        "--object-type",
        "User=people.csv",
        "--anchor-generate",
        "User=none",
        "--map",
        "User:Id=",
        "--views",
        "core",
    )
    assert code == 1
    assert "What `views: core` cannot serve" in output
    assert "object_types.User.anchor" in output
    assert "does not work against its target" not in output
    assert ConnectorStore(csv_home).list() == []


def test_an_answers_file_gives_the_views(csv_home: Home, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("views: Core\nobject_types:\n  User: people.csv\n")
    new = ["connector", "new", "--no-input", "--no-token", "--name", "people", "--type", "csv"]
    code, output = run(csv_home, *new, "--connect", "folder=data", "--answers", str(answers))
    assert code == 0, output
    assert ConnectorStore(csv_home).load("people").views is SchemaViews.CORE
