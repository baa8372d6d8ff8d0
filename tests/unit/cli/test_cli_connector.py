from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecmahost.cli.main import app
from ecmahost.config.store import ConnectorStore
from ecmahost.config.tokens import verify_token
from ecmahost.home import Home


def run(runner: CliRunner, home: Path, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["connector", *args, "--home", str(home)], input=input)


@pytest.fixture
def imported(runner: CliRunner, home: Path, demo_file: Path) -> Path:
    result = run(runner, home, "import", str(demo_file))
    assert result.exit_code == 0, result.output
    return home


def test_import_reports_the_tenant_url_path_and_the_next_step(runner: CliRunner, home: Path, demo_file: Path) -> None:
    result = run(runner, home, "import", str(demo_file))
    assert result.exit_code == 0
    assert "Imported connector demo: /ecma2host_demo/scim" in result.stdout
    assert "ecmahost connector set-token demo --generate" in result.stdout


def test_import_of_an_invalid_file_fails_and_writes_nothing(runner: CliRunner, home: Path, demo_file: Path) -> None:
    demo_file.write_text(demo_file.read_text().replace("anchor: Login", "anchor: Nope"))
    result = run(runner, home, "import", str(demo_file))
    assert result.exit_code == 1
    assert f"error: {demo_file}: object_types.User.anchor: 'Nope' is not a selected attribute" in result.stderr
    assert ConnectorStore(Home(home)).list() == []


def test_import_refuses_an_existing_name_unless_replace(runner: CliRunner, imported: Path, demo_file: Path) -> None:
    assert run(runner, imported, "import", str(demo_file)).exit_code == 1
    assert run(runner, imported, "import", str(demo_file), "--replace").exit_code == 0
    assert run(runner, imported, "import", str(demo_file), "--name", "Second").exit_code == 0
    assert ConnectorStore(Home(imported)).list() == ["Second", "demo"]


def test_list_shows_type_object_types_token_and_path(runner: CliRunner, imported: Path) -> None:
    result = run(runner, imported, "list")
    assert result.exit_code == 0
    row = next(line for line in result.stdout.splitlines() if "demo" in line and "fake" in line)
    assert re.search(r"demo\s*│\s*fake\s*│\s*User\s*│\s*NOT SET\s*│\s*/ecma2host_demo/scim\s*│\s*ok", row)


def test_list_marks_invalid_files_without_stopping(runner: CliRunner, imported: Path) -> None:
    (imported / "connectors" / "broken.yaml").write_text("name: broken\n")
    result = run(runner, imported, "list")
    assert result.exit_code == 0
    assert "invalid" in result.stdout
    assert "NOT SET" in result.stdout


def test_list_of_an_empty_home_says_how_to_start(runner: CliRunner, home: Path) -> None:
    result = run(runner, home, "list")
    assert result.exit_code == 0
    assert "No connectors" in result.stdout


def test_generated_token_is_printed_once_and_only_its_hash_stored(runner: CliRunner, imported: Path) -> None:
    result = run(runner, imported, "set-token", "demo", "--generate")
    assert result.exit_code == 0
    token = result.stdout.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token)
    assert "shown only this once and is not stored" in result.stderr
    text = (imported / "connectors" / "demo.yaml").read_text()
    assert token not in text
    assert "# the demo connector" in text
    assert verify_token(token, ConnectorStore(Home(imported)).load("demo").token.hash)


def test_token_from_file(runner: CliRunner, imported: Path, tmp_path: Path) -> None:
    (tmp_path / "token.txt").write_text("from-a-file-123\n")
    result = run(runner, imported, "set-token", "demo", "--token-file", str(tmp_path / "token.txt"))
    assert result.exit_code == 0
    assert "from-a-file-123" not in result.output
    assert verify_token("from-a-file-123", ConnectorStore(Home(imported)).load("demo").token.hash)


def test_token_from_hidden_prompt_is_not_echoed(runner: CliRunner, imported: Path) -> None:
    result = run(runner, imported, "set-token", "demo", input="typed-token-1234\ntyped-token-1234\n")
    assert result.exit_code == 0
    assert "typed-token-1234" not in result.output
    assert verify_token("typed-token-1234", ConnectorStore(Home(imported)).load("demo").token.hash)


def test_short_token_is_refused_with_the_rule(runner: CliRunner, imported: Path, tmp_path: Path) -> None:
    (tmp_path / "token.txt").write_text("short\n")
    result = run(runner, imported, "set-token", "demo", "--token-file", str(tmp_path / "token.txt"))
    assert result.exit_code == 1
    assert "error: a token needs at least 12 characters" in result.stderr
    assert ConnectorStore(Home(imported)).load("demo").token is None


def test_token_is_never_a_command_line_argument(runner: CliRunner, imported: Path) -> None:
    result = run(runner, imported, "set-token", "demo", "my-secret-token-1")
    assert result.exit_code == 2


def test_set_token_of_unknown_connector_fails(runner: CliRunner, imported: Path) -> None:
    result = run(runner, imported, "set-token", "Demo", "--generate")
    assert result.exit_code == 1
    assert "no connector named 'Demo' (names are case-sensitive); connectors: demo" in result.stderr
    assert result.stdout == ""


def test_set_secret_from_env_is_stored_encrypted_and_shown_masked(
    runner: CliRunner, imported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_PW", "hunter2-from-env")
    result = run(runner, imported, "set-secret", "demo", "password", "--from-env", "DEMO_PW")
    assert result.exit_code == 0, result.output
    assert "password: enc:" in (imported / "connectors" / "demo.yaml").read_text()
    shown = run(runner, imported, "show", "demo")
    assert shown.exit_code == 0
    assert "password: '********'" in shown.stdout or "password: ********" in shown.stdout
    assert "enc:" not in shown.stdout
    assert "hunter2" not in shown.output
    assert "# local file" in shown.stdout


def test_set_secret_from_prompt(runner: CliRunner, imported: Path) -> None:
    result = run(runner, imported, "set-secret", "demo", "password", input="s3cret-value\ns3cret-value\n")
    assert result.exit_code == 0
    assert "s3cret-value" not in result.output
    assert ConnectorStore(Home(imported)).load("demo").connection.password.reveal() == "s3cret-value"


def test_set_secret_from_unset_env_names_the_variable(
    runner: CliRunner, imported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOT_SET_PW", raising=False)
    result = run(runner, imported, "set-secret", "demo", "password", "--from-env", "NOT_SET_PW")
    assert result.exit_code == 1
    assert "environment variable NOT_SET_PW is not set" in result.stderr


def test_show_masks_the_token_hash_and_warns_about_problems(runner: CliRunner, imported: Path) -> None:
    run(runner, imported, "set-token", "demo", "--generate")
    path = imported / "connectors" / "demo.yaml"
    path.write_text(path.read_text() + "  Group: {}\n")
    result = run(runner, imported, "show", "demo")
    assert result.exit_code == 0
    assert "scrypt$" not in result.stdout
    assert "cannot be served yet" in result.stderr


def test_export_redacts_and_include_secrets_warns(
    runner: CliRunner, imported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_PW", "hunter2-from-env")
    run(runner, imported, "set-secret", "demo", "password", "--from-env", "DEMO_PW")
    plain = run(runner, imported, "export", "demo")
    assert plain.exit_code == 0
    assert "password: <redacted>" in plain.stdout
    assert plain.stderr == ""
    out = tmp_path / "exported.yaml"
    full = run(runner, imported, "export", "demo", "--include-secrets", "--out", str(out))
    assert full.exit_code == 0
    assert "secrets in plain text" in full.stderr
    assert "password: hunter2-from-env" in out.read_text()
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_delete_asks_for_confirmation(runner: CliRunner, imported: Path) -> None:
    refused = run(runner, imported, "delete", "demo", input="n\n")
    assert refused.exit_code == 1
    assert ConnectorStore(Home(imported)).list() == ["demo"]
    accepted = run(runner, imported, "delete", "demo", "--yes")
    assert accepted.exit_code == 0
    assert ConnectorStore(Home(imported)).list() == []


def test_bad_connector_name_is_an_error_not_a_path(runner: CliRunner, imported: Path) -> None:
    result = run(runner, imported, "show", "../host")
    assert result.exit_code == 1
    assert "not a valid connector name" in result.stderr
