"""Logging: two sources with their own level, Error by default, redacted, rotating (safely across processes), text or
JSON lines."""

from __future__ import annotations

import json
import logging
import multiprocessing
from pathlib import Path
from typing import Any

from ecmahost.home import Home
from ecmahost.observability.log_reader import log_files, read_entries
from ecmahost.observability.log_setup import LOG_FILE_NAME, apply_levels, configure_logging, request_context
from ecmahost.settings import HostSettings, LogFileSettings, LogFormat, LogLevel, LogLevels

host_log = logging.getLogger("ecmahost.http.app")
connector_log = logging.getLogger("ecmahost.connectors.sql.connector")


def _lines(home: Home) -> list[str]:
    for handler in logging.getLogger("ecmahost").handlers:
        handler.flush()
    path = home.logs_dir / LOG_FILE_NAME
    return path.read_text().splitlines() if path.exists() else []


def test_default_level_is_error_for_both_sources(home, logging_for) -> None:
    logging_for(HostSettings())
    host_log.warning("host warning")
    connector_log.warning("connector warning")
    host_log.error("host error")
    connector_log.error("connector error")
    lines = _lines(home)
    assert [line.split(": ", 1)[1] for line in lines] == ["host error", "connector error"]


def test_each_source_has_its_own_level(home, logging_for) -> None:
    logging_for(HostSettings(log_levels=LogLevels(host=LogLevel.OFF, connectors=LogLevel.VERBOSE)))
    host_log.error("host error")
    connector_log.debug("connector detail")
    assert [line.split(": ", 1)[1] for line in _lines(home)] == ["connector detail"]


def test_apply_levels_takes_effect_at_once(home, logging_for) -> None:
    logging_for(HostSettings())
    host_log.info("before")
    apply_levels(LogLevels(host=LogLevel.INFORMATION))
    host_log.info("after")
    assert [line.split(": ", 1)[1] for line in _lines(home)] == ["after"]


def test_text_line_carries_time_level_connector_and_logger(home, logging_for) -> None:
    logging_for(HostSettings())
    with request_context("demo", "r1"):
        host_log.error("boom")
    (line,) = _lines(home)
    stamp, level, connector, rest = line.split(maxsplit=3)
    assert stamp.endswith("Z")
    assert (level, connector, rest) == ("Error", "demo", "ecmahost.http.app: boom")


def test_secrets_are_redacted_in_messages_and_tracebacks(home, logging_for) -> None:
    logging_for(HostSettings())
    try:
        raise ValueError("cannot connect to postgresql://app:Sup3rSecret@db/hr")
    except ValueError:
        host_log.exception("token=abc123token failed for %s", "Bearer eyJhbGciOi.payload.sig")
    text = "\n".join(_lines(home))
    for secret in ("Sup3rSecret", "abc123token", "eyJhbGciOi.payload.sig"):
        assert secret not in text
    assert "Traceback" in text


def test_json_lines_on_request(home, logging_for) -> None:
    logging_for(HostSettings(log_format=LogFormat.JSON))
    with request_context("demo", "req-7"):
        connector_log.error("target down: password=%s", "pw-123456")
    (line,) = _lines(home)
    record = json.loads(line)
    assert record["level"] == "Error"
    assert record["connector"] == "demo"
    assert record["request_id"] == "req-7"
    assert record["logger"] == "ecmahost.connectors.sql.connector"
    assert "pw-123456" not in line


def test_files_rotate_at_the_configured_size_and_count(home, logging_for) -> None:
    logging_for(HostSettings(log_file=LogFileSettings(max_bytes=2048, backups=2)))
    for number in range(200):
        host_log.error("line %03d %s", number, "x" * 40)
    files = log_files(home)
    assert [path.name for path in files] == [f"{LOG_FILE_NAME}.2", f"{LOG_FILE_NAME}.1", LOG_FILE_NAME]
    record = len(_lines(home)[-1]) + 1
    assert all(path.stat().st_size < 2048 + record for path in files)


def test_no_backups_means_no_rotation(home, logging_for) -> None:
    logging_for(HostSettings(log_file=LogFileSettings(max_bytes=1024, backups=0)))
    for number in range(50):
        host_log.error("line %03d %s", number, "x" * 40)
    assert [path.name for path in log_files(home)] == [LOG_FILE_NAME]
    assert len(_lines(home)) == 50


def _write_lines(root: str, max_bytes: int, backups: int, process: int, count: int, start: Any) -> None:
    """One writer process: its own logging setup (as each worker of `serve --workers N` has), then `count` lines
    tagged with its number, begun at the same moment as the other writers."""
    setup = configure_logging(Home(Path(root)), _rotating(max_bytes, backups), console=False)
    start.wait()
    for number in range(count):
        host_log.error("p%d n%04d %s", process, number, "x" * 60)
    setup.close()


def _rotating(max_bytes: int, backups: int) -> HostSettings:
    return HostSettings(log_file=LogFileSettings(max_bytes=max_bytes, backups=backups))


def _run_writers(home: Home, max_bytes: int, backups: int, processes: int, count: int) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes)
    writers = [
        context.Process(target=_write_lines, args=(str(home.root), max_bytes, backups, number, count, start))
        for number in range(processes)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
    assert [writer.exitcode for writer in writers] == [0] * processes


def _messages(home: Home) -> list[str]:
    return [entry.text.split(": ", 1)[1].split(" x")[0] for entry in read_entries(home)]


def test_processes_sharing_the_files_lose_and_repeat_no_line_across_rotations(home) -> None:
    processes, count, max_bytes = 4, 250, 2048
    _run_writers(home, max_bytes, 100, processes, count)
    messages = _messages(home)
    expected = {f"p{process} n{number:04d}" for process in range(processes) for number in range(count)}
    assert len(messages) == len(expected)
    assert set(messages) == expected
    files = log_files(home)
    assert len(files) > 10  # it did rotate, many times, while the four wrote
    longest = max(len(line) for path in files for line in path.read_text().splitlines()) + 1
    assert all(path.stat().st_size < max_bytes + longest for path in files)
    for process in range(processes):  # and each writer's lines stay in order, across files
        mine = [message for message in messages if message.startswith(f"p{process} ")]
        assert mine == sorted(mine)


def test_processes_sharing_the_files_keep_the_configured_number_of_backups(home) -> None:
    _run_writers(home, 2048, 2, 3, 200)
    files = log_files(home)
    assert [path.name for path in files] == [f"{LOG_FILE_NAME}.2", f"{LOG_FILE_NAME}.1", LOG_FILE_NAME]
    assert sorted(path.name for path in home.logs_dir.iterdir() if not path.name.startswith(".")) == sorted(
        path.name for path in files
    )
    messages = _messages(home)
    assert len(messages) == len(set(messages))
    longest = max(len(line) for path in files for line in path.read_text().splitlines()) + 1
    assert all(path.stat().st_size < 2048 + longest for path in files)
