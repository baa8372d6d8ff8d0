"""`ecmahost serve --workers N` forks N workers: where `os.fork` does not exist (Windows) it refuses N > 1 with a
message that says what to do instead, before serving anything; one worker needs no fork."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecmahost.cli.main import app
from ecmahost.server import worker_count


@pytest.mark.parametrize("workers", ["2", "auto"])
def test_several_workers_without_fork_are_refused_with_what_to_do_instead(
    runner: CliRunner, home: Path, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    monkeypatch.delattr(os, "fork")
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    result = runner.invoke(app, ["serve", "--home", str(home), "--insecure-http", "--workers", workers])
    assert result.exit_code == 1
    assert "several workers need fork (Linux, macOS)" in result.stderr
    assert "one host per service instance" in result.stderr
    assert "Traceback" not in result.output


def test_one_worker_needs_no_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "fork")
    assert worker_count("1") == 1


def test_several_workers_are_counted_where_fork_exists() -> None:
    assert worker_count("3") == 3
