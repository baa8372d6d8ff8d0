"""Logging: two sources with their own level, Error by default, redacted, rotating, text or JSON lines."""

from __future__ import annotations

import json
import logging

from ecmahost.home import Home
from ecmahost.observability.log_setup import LOG_FILE_NAME, apply_levels, request_context
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
    names = sorted(path.name for path in home.logs_dir.iterdir())
    assert names == [LOG_FILE_NAME, f"{LOG_FILE_NAME}.1", f"{LOG_FILE_NAME}.2"]
    assert all(path.stat().st_size <= 2048 for path in home.logs_dir.iterdir())
