from __future__ import annotations

from typer.testing import CliRunner

from ecmahost import __version__
from ecmahost.cli.main import app


def test_version_option_prints_the_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"ecmahost {__version__}\n"


def test_root_help_lists_the_sub_apps(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "connector" in result.stdout
    assert "cert" in result.stdout


def test_every_option_has_help_text() -> None:
    import typer.main

    group = typer.main.get_command(app)
    missing = []

    def walk(command, path: str) -> None:  # type: ignore[no-untyped-def]
        for param in command.params:
            if param.param_type_name == "option" and not getattr(param, "help", None):
                missing.append(f"{path} {param.name}")
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(group, "ecmahost")
    assert missing == []
