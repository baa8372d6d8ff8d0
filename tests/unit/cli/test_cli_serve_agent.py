"""`ecmahost serve --agent DIR` refuses, before serving anything, an agent folder it cannot use, and says how to
make one."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ecmahost.agent import settings as agent_settings
from ecmahost.cli.main import app


def serve(runner: CliRunner, home: Path, agent: Path):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["serve", "--home", str(home), "--insecure-http", "--agent", str(agent)])


def test_a_folder_without_agent_settings_is_refused_with_the_command_that_makes_them(
    runner: CliRunner, home: Path, tmp_path: Path
) -> None:
    result = serve(runner, home, tmp_path / "nowhere")
    assert result.exit_code == 1
    assert "agent.json is missing: run `ecmahost agent register" in result.stderr


def test_a_folder_without_the_agent_key_is_refused(runner: CliRunner, home: Path, tmp_path: Path) -> None:
    agent_settings.save(tmp_path, agent_settings.AgentSettings(site="paris", nats_urls=["tls://localhost:4222"]))
    result = serve(runner, home, tmp_path)
    assert result.exit_code == 1
    assert "cannot read the agent's key" in result.stderr
    assert "ecmahost agent register" in result.stderr
