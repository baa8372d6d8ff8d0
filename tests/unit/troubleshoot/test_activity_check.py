"""`test-connection`'s "recent requests" step and the archive's activity, from a real journal file."""

from __future__ import annotations

import time
from pathlib import Path

from ecmahost.home import Home
from ecmahost.observability import activity_store as store
from ecmahost.troubleshoot.activity_check import recent_activity, recent_requests_step
from ecmahost.troubleshoot.steps import StepStatus


def _home(tmp_path: Path, *ages: float) -> Home:
    home = Home(tmp_path)
    connection = store.connect(store.journal_path(home))
    now = time.time()
    rows = []
    for number, age in enumerate(ages):
        values = {
            "at": now - age, "connector": "hr", "object_type": "User", "verb": "create", "method": "POST",
            "outcome": "ok", "status": 201, "duration_ms": 1.0, "request_id": f"r{number}", "user_name": "alice",
            "request_body": '{"title": "secret-ish value"}',
        }  # fmt: skip
        rows.append(tuple(values.get(column) for column in store.COLUMNS))
    store.insert(connection, rows)
    connection.close()
    return home


def test_a_request_within_the_hour_passes_and_says_when_and_what(tmp_path: Path) -> None:
    step = recent_requests_step(_home(tmp_path, 7200, 300), "hr")
    assert step.status is StepStatus.PASS
    assert step.detail == "last request 5 min ago: POST create User -> 201 (ok)"


def test_nothing_within_the_hour_warns(tmp_path: Path) -> None:
    step = recent_requests_step(_home(tmp_path, 3 * 86400), "hr")
    assert step.status is StepStatus.WARN
    assert "3.0 days ago" in step.detail
    assert "nothing within the last hour" in step.detail


def test_a_connector_that_never_received_a_request_warns_that_entra_is_not_reaching_it(tmp_path: Path) -> None:
    step = recent_requests_step(_home(tmp_path, 60), "payroll")
    assert step.status is StepStatus.WARN
    assert "no request at all" in step.detail


def test_without_a_journal_the_step_is_skipped(tmp_path: Path) -> None:
    assert recent_requests_step(Home(tmp_path), "hr").status is StepStatus.SKIP


def test_the_archive_takes_the_last_hours_without_the_bodies(tmp_path: Path) -> None:
    rows = recent_activity(_home(tmp_path, 30 * 3600, 3600, 60), hours=24)
    assert [row["request_id"] for row in rows] == ["r1", "r2"]
    assert all("request_body" not in row and "response_body" not in row for row in rows)
    assert recent_activity(Home(tmp_path / "none"), hours=24) == []
