"""`ecmahost activity` on a journal file written by the store: an empty home, --follow and --json lines."""

from __future__ import annotations

import json
import time
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecmahost.cli import activity
from ecmahost.cli.main import app
from ecmahost.home import Home
from ecmahost.observability import activity_store as store


def _insert(home: Path, *request_ids: str) -> None:
    connection = store.connect(store.journal_path(Home(home)))
    rows = []
    for request_id in request_ids:
        values = {"at": time.time(), "connector": "hr", "object_type": "User", "verb": "create", "method": "POST",
                  "outcome": "ok", "status": 201, "duration_ms": 1.0, "request_id": request_id,
                  "user_name": "alice"}  # fmt: skip
        rows.append(tuple(values.get(column) for column in store.COLUMNS))
    store.insert(connection, rows)
    connection.close()


def test_a_home_without_a_journal_says_how_one_comes(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["activity", "--home", str(tmp_path)])
    assert result.exit_code == 0
    assert "no activity journal" in result.output
    assert "ecmahost serve" in result.output


def test_follow_prints_each_new_operation_once_as_json_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _insert(tmp_path, "first")
    pauses = iter([lambda: _insert(tmp_path, "second", "third"), lambda: None])

    def sleep(_seconds: float) -> None:
        step = next(pauses, None)
        if step is None:
            raise KeyboardInterrupt
        step()

    monkeypatch.setattr(activity, "time", types.SimpleNamespace(sleep=sleep, time=time.time))
    result = CliRunner().invoke(app, ["activity", "--follow", "--json", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["request_id"] for line in lines] == ["first", "second", "third"]
    assert lines[0]["user_name"] == "alice"
    assert "T" in lines[0]["time"]


def test_since_takes_seconds_minutes_hours_and_days() -> None:
    assert [activity.parse_since(text) for text in ("45s", "30m", "1h", "2d", "1.5h")] == [45, 1800, 3600, 172800, 5400]
