"""`ecmahost connector new/edit` (through CliRunner, against the real app) for the CSV and script connectors
and SQL child tables: the same questions as the admin UI, answered by flags."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecmahost.cli.main import app
from ecmahost.config.model import AttributeType
from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.sql.demo_schema import create_demo_tables
from ecmahost.home import Home

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
PHONES = "PhoneNumbers=EmployeePhoneNumbers(EmployeeGUID): value=Value, type=Type"


@pytest.fixture
def home(tmp_path: Path) -> Home:
    where = Home(tmp_path / "home")
    where.ensure()
    return where


def run(home: Home, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--home", str(home.root)])
    assert result.exit_code == 0, result.output
    return result.output


def test_connector_new_csv_without_input_takes_the_header_rows(home: Home) -> None:
    (home.root / "data").mkdir()
    (home.root / "data" / "people.csv").write_text("Id,Login,Email\n")
    (home.root / "data" / "groups.csv").write_text("Id,DisplayName,Members\n")
    run(home, "connector", "new", "--no-input", "--name", "people", "--type", "csv", "--connect", "folder=data")
    config = ConnectorStore(home).load("people")
    assert config.object_types["User"].target.file == "people.csv"
    assert config.object_types["User"].attributes["Login"].scim == "userName"
    assert config.object_types["Group"].target.members_column == "Members"
    assert config.token is not None


def test_connector_new_csv_names_a_new_file_and_its_columns(home: Home) -> None:
    args = ["--no-input", "--no-token", "--name", "staff", "--type", "csv", "--object-type", "User=staff.csv"]
    args += ["--anchor", "User=Id", "--map", "User:Id=", "--map", "User:Login=userName"]
    run(home, "connector", "new", *args)
    user = ConnectorStore(home).load("staff").object_types["User"]
    assert list(user.attributes) == ["Id", "Login"]


def test_connector_new_script_encrypts_a_secret_parameter(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(EXAMPLES / "scripts" / "python", home.root / "scripts" / "python")
    (home.root / "scripts" / "python" / "users.json").write_text(json.dumps({"User": [{"Id": "1", "Login": "a"}]}))
    args = ["--no-input", "--no-token", "--name", "pyscript", "--type", "script"]
    args += ["--connect", "command=python3 users_connector.py --worker", "--connect", "mode=worker"]
    args += ["--connect", "working_directory=scripts/python", "--connect", "parameters=DATA_FILE=users.json"]
    args += ["--connect", "secret_parameters=API_PASSWORD=typed-secret-1", "--object-type", "User=object"]
    output = run(home, "connector", "new", *args)
    assert "typed-secret-1" not in output
    text = (home.connectors_dir / "pyscript.yaml").read_text()
    assert "typed-secret-1" not in text
    assert "API_PASSWORD: enc:" in text
    assert ConnectorStore(home).load("pyscript").connection.command == ["python3", "users_connector.py", "--worker"]


def test_connector_edit_adds_a_child_table_for_phone_numbers(home: Home) -> None:
    asyncio.run(create_demo_tables("sqlite:///hr.db", home.root))
    args = ["--no-input", "--no-token", "--name", "hr", "--type", "sql", "--url", "sqlite:///hr.db"]
    run(home, "connector", "new", *args, "--object-type", "User=Employees")
    run(home, "connector", "edit", "hr", "--no-input", "--option", f"User:child_tables={PHONES}")
    run(home, "connector", "edit", "hr", "--no-input", "--map", "User:PhoneNumbers=phoneNumbers")
    user = ConnectorStore(home).load("hr").object_types["User"]
    phones = user.attributes["PhoneNumbers"]
    assert (phones.type, phones.multi_valued, phones.scim) == (AttributeType.COMPLEX, True, "phoneNumbers")
    assert phones.sub_attributes == ("value", "type")
    assert user.target.child_tables["PhoneNumbers"].columns == {"value": "Value", "type": "Type"}


def test_a_malformed_child_table_answer_is_refused_with_an_example(home: Home) -> None:
    asyncio.run(create_demo_tables("sqlite:///hr.db", home.root))
    args = ["--no-input", "--no-token", "--name", "hr", "--type", "sql", "--url", "sqlite:///hr.db"]
    args += ["--object-type", "User=Employees", "--option", "User:child_tables=PhoneNumbers:EmployeePhoneNumbers"]
    result = CliRunner().invoke(app, ["connector", "new", *args, "--home", str(home.root)])
    assert result.exit_code == 1
    assert "PhoneNumbers = EmployeePhoneNumbers(EmployeeGUID)" in result.output
    assert not ConnectorStore(home).exists("hr")
