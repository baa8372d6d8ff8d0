"""Reading logs back: entries with their tracebacks, filters by connector and level, rotated files, follow."""

from __future__ import annotations

import threading
import time

from ecmahost.home import Home
from ecmahost.observability.log_reader import filter_live, follow_lines, log_files, parse_lines, read_entries
from ecmahost.settings import LogLevel

LINES = [
    "2025-01-01T00:00:00.000Z Information demo ecmahost.http.requests: GET /x -> 200\n",
    "2025-01-01T00:00:01.000Z Error       demo ecmahost.http.app: boom\n",
    "Traceback (most recent call last):\n",
    "  File x, line 1\n",
    "2025-01-01T00:00:02.000Z Warning     - ecmahost.observability.monitor: levels changed\n",
    '{"time": "t", "level": "Error", "connector": "hr", "logger": "l", "message": "m"}\n',
]


def test_a_traceback_stays_with_its_entry() -> None:
    entries = list(parse_lines(LINES))
    assert len(entries) == 4
    assert entries[1].text.endswith("  File x, line 1")


def test_filter_by_connector_and_minimum_level() -> None:
    entries = list(parse_lines(LINES))
    assert [e.connector for e in entries if e.matches("demo", LogLevel.VERBOSE)] == ["demo", "demo"]
    assert [e.level for e in entries if e.matches(None, LogLevel.WARNING)] == [
        LogLevel.ERROR,
        LogLevel.WARNING,
        LogLevel.ERROR,
    ]
    assert [e.connector for e in entries if e.matches("hr", LogLevel.ERROR)] == ["hr"]


def test_live_filter_keeps_continuation_lines_of_matching_entries() -> None:
    assert list(filter_live(LINES, "demo", LogLevel.ERROR)) == [line.rstrip("\n") for line in LINES[1:4]]


def test_rotated_files_are_read_oldest_first(tmp_path) -> None:
    home = Home(tmp_path)
    home.ensure(home.logs_dir)
    for suffix, line in (("", LINES[4]), (".1", LINES[1]), (".2", LINES[0])):
        (home.logs_dir / f"ecmahost.log{suffix}").write_text(line)
    (home.logs_dir / "ecmahost.log.rotate.1234567").write_text(LINES[5])  # mid-rotation name: not a copy
    (home.logs_dir / ".__ecmahost.lock").write_text("")
    assert [path.name for path in log_files(home)] == ["ecmahost.log.2", "ecmahost.log.1", "ecmahost.log"]
    assert [entry.level for entry in read_entries(home)] == [LogLevel.INFORMATION, LogLevel.ERROR, LogLevel.WARNING]


def test_follow_sees_appended_lines_and_survives_rotation(tmp_path) -> None:
    path = tmp_path / "ecmahost.log"
    path.write_text("old\n")

    def writer() -> None:
        time.sleep(0.2)
        with path.open("a") as handle:
            handle.write("new 1\n")
        time.sleep(0.2)
        path.rename(tmp_path / "ecmahost.log.1")
        path.write_text("after rotation\n")

    thread = threading.Thread(target=writer)
    thread.start()
    seen = list(follow_lines(path, poll_seconds=0.05, stop_after=1.0))
    thread.join()
    assert seen == ["new 1\n", "after rotation\n"]
