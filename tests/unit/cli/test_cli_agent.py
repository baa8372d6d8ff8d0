"""`ecmahost agent register --nats`: URLs the agent cannot dial together are refused before the relay is asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecmahost.cli.main import app


@pytest.mark.parametrize(
    ("urls", "reason"),
    [(["ws://nats.example.org"], "is not a NATS URL"), (["wss://a.example.org", "tls://b:4222"], "cannot be mixed")],
)
def test_nats_urls_the_agent_cannot_dial_are_refused_before_registering(
    runner: CliRunner, tmp_path: Path, urls: list[str], reason: str
) -> None:
    arguments = ["agent", "register", "--relay", "https://127.0.0.1:9", "--code", "x", "--home", str(tmp_path)]
    result = runner.invoke(app, [*arguments, *(part for url in urls for part in ("--nats", url))])
    assert result.exit_code == 1
    assert reason in result.stderr
    assert "cannot reach the relay" not in result.stderr
    assert not (tmp_path / "agent.nk").exists()
