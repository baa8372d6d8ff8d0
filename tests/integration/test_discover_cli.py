"""`ecmahost connector discover` reads the real target (a SQLite demo database) and lists its tables."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ecmahost.cli.demo import prepare_demo
from ecmahost.cli.main import app
from ecmahost.home import Home


def test_discover_lists_tables_columns_and_keys_of_the_target(tmp_path: Path) -> None:
    prepare_demo(Home(tmp_path), token="a-demo-token-123", target=None)
    result = CliRunner().invoke(app, ["connector", "discover", "demo", "--json", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    tables = {item["name"]: item for item in schema["object_classes"]}
    assert {"Employees", "Groups", "GroupMembers", "EmployeePhoneNumbers"} <= set(tables)
    columns = {a["name"]: a for a in tables["Employees"]["attributes"]}
    assert columns["InternalGUID"]["primary_key"] is True
    assert columns["ContosoLogin"]["unique"] is True
    assert columns["Active"]["type"] == "boolean"


def test_discover_of_an_unknown_connector_fails_with_a_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["connector", "discover", "nope", "--home", str(tmp_path)])
    assert result.exit_code == 1
    assert "nope" in result.stderr
