"""Read the host's log files back as entries: the rotated files oldest first, text or JSON lines, filtered by
connector and minimum level, and followed as the host writes (surviving rotation).

A text entry is a header line (`<time> <Level> <connector> <logger>: <message>`) plus the lines that follow it
(a traceback); a line that fits no format is kept as its own entry so nothing is hidden. This module reads only.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from ecmahost.home import Home
from ecmahost.observability.log_setup import LOG_FILE_NAME, NO_CONNECTOR
from ecmahost.settings import LogLevel

_HEADER = re.compile(r"^(\S+Z) (Verbose|Information|Warning|Error)\s+(\S+) ")
_RANK = {LogLevel.VERBOSE: 0, LogLevel.INFORMATION: 1, LogLevel.WARNING: 2, LogLevel.ERROR: 3, LogLevel.OFF: 4}


@dataclass(frozen=True, slots=True)
class LogEntry:
    text: str
    level: LogLevel
    connector: str | None

    def matches(self, connector: str | None, level: LogLevel) -> bool:
        if connector is not None and self.connector != connector:
            return False
        return _RANK[self.level] >= _RANK[level]


def log_files(home: Home) -> list[Path]:
    """The current log file and its rotated copies (`ecmahost.log.1` ...), oldest first. The name the log handler
    gives a file for an instant while it rotates (`ecmahost.log.rotate.<random>`) is not a copy."""
    current = home.logs_dir / LOG_FILE_NAME
    prefix = f"{LOG_FILE_NAME}."
    rotated = sorted(
        (path for path in home.logs_dir.glob(f"{prefix}*") if path.name[len(prefix) :].isdigit()),
        key=lambda path: int(path.name[len(prefix) :]),
        reverse=True,
    )
    return [*rotated, *([current] if current.exists() else [])]


def _json_entry(line: str) -> LogEntry | None:
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or "level" not in data:
        return None
    try:
        level = LogLevel(str(data["level"]))
    except ValueError:
        level = LogLevel.ERROR
    return LogEntry(line, level, data.get("connector"))


def parse_lines(lines: Iterable[str]) -> Iterator[LogEntry]:
    """Group lines into entries; a continuation line (a traceback) joins the entry before it."""
    pending: LogEntry | None = None
    for raw in lines:
        line = raw.rstrip("\n")
        if not line:
            continue
        header = _HEADER.match(line)
        entry = _json_entry(line) if line.startswith("{") else None
        if header:
            connector = None if header.group(3) == NO_CONNECTOR else header.group(3)
            entry = LogEntry(line, LogLevel(header.group(2)), connector)
        if entry is None and pending is not None:
            pending = LogEntry(f"{pending.text}\n{line}", pending.level, pending.connector)
            continue
        if pending is not None:
            yield pending
        pending = entry or LogEntry(line, LogLevel.ERROR, None)
    if pending is not None:
        yield pending


def filter_live(lines: Iterable[str], connector: str | None, level: LogLevel) -> Iterator[str]:
    """Like `parse_lines` + `LogEntry.matches`, but yields each line as soon as it is read (for `--follow`): a
    continuation line goes out when the entry it belongs to matched."""
    showing = False
    for raw in lines:
        line = raw.rstrip("\n")
        if not line:
            continue
        if _HEADER.match(line) or line.startswith("{"):
            entries = list(parse_lines([line]))
            showing = bool(entries) and entries[0].matches(connector, level)
        if showing:
            yield line


def read_entries(home: Home) -> Iterator[LogEntry]:
    for path in log_files(home):
        with path.open(encoding="utf-8", errors="replace") as handle:
            yield from parse_lines(handle)


def follow_lines(
    path: Path, *, from_end: bool = True, poll_seconds: float = 0.5, stop_after: float | None = None
) -> Iterator[str]:
    """Lines appended to `path` (from its current end when `from_end`); reopens the file from its start when it
    is rotated or truncated. Ends after `stop_after` seconds when given (tests), else runs until interrupted."""
    deadline = None if stop_after is None else time.monotonic() + stop_after
    handle = None
    identity: tuple[int, int] | None = None
    buffer = ""
    first_open = True
    try:
        while deadline is None or time.monotonic() < deadline:
            if handle is None and path.exists():
                handle = path.open(encoding="utf-8", errors="replace")
                info = os.fstat(handle.fileno())
                identity = (info.st_dev, info.st_ino)
                if first_open and from_end:
                    handle.seek(0, os.SEEK_END)
                first_open = False
            if handle is not None:
                chunk = handle.read()
                if chunk:
                    buffer += chunk
                    *complete, buffer = buffer.split("\n")
                    yield from (f"{line}\n" for line in complete)
                    continue
                if _replaced(path, identity, handle.tell()):
                    handle.close()
                    handle = None
                    continue
            time.sleep(poll_seconds)
    finally:
        if handle is not None:
            handle.close()


def _replaced(path: Path, identity: tuple[int, int] | None, position: int) -> bool:
    """Whether `path` is now another file (rotated) or shorter than what was read (truncated)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return False
    return (info.st_dev, info.st_ino) != identity or info.st_size < position
