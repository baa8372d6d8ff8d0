"""Logging for the host process: two sources with ECMA levels, redacted rotating files, optional console.

Sources: **host** is the `ecmahost` logger tree (and uvicorn's own messages), **connectors** is
`ecmahost.connectors` (every built-in connector logs under it). Each gets a `LogLevel` (Off, Error, Warning,
Information, Verbose; default Error); `apply_levels` changes them at any time, which is how a running host picks up
`ecmahost log-level`. Records go to `<home>/logs/ecmahost.log` (rotated by size, count configurable) as text or
JSON lines, and to stderr when asked. Every formatted record passes through `redact_text`, so no secret reaches a
file or the console whatever a caller logs. The connector and request id of the request being served are added to
each record from context variables set by the http layer.

Several processes write the same files (`serve --workers N`: the supervisor and each worker; or an ASGI server
running `ecmahost.asgi` in several processes), so the file handler is `ConcurrentRotatingFileHandler` (package
`concurrent-log-handler`): each record is written under an exclusive lock on `logs/.__ecmahost.lock`, with the size
check and the rotation under the same lock, so a rotation by one process is seen by the others (they reopen the new
file) and no line is lost or written twice. The stdlib `RotatingFileHandler` rotates per process: the others go on
writing into the renamed file. A file may pass `max_bytes` by one record (the size is checked before a record is
written, without it).

This module configures handlers and levels; it decides nothing about what is logged.
"""

from __future__ import annotations

import logging
import sys
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import orjson
from concurrent_log_handler import ConcurrentRotatingFileHandler

from ecmahost.home import Home
from ecmahost.observability.redaction import redact_text
from ecmahost.settings import HostSettings, LogFormat, LogLevels

HOST_LOGGER = "ecmahost"
CONNECTORS_LOGGER = "ecmahost.connectors"
SERVER_LOGGER = "uvicorn"
LOG_FILE_NAME = "ecmahost.log"
NO_CONNECTOR = "-"

current_connector: ContextVar[str | None] = ContextVar("ecmahost_connector", default=None)
current_request_id: ContextVar[str | None] = ContextVar("ecmahost_request_id", default=None)

LEVEL_NAMES = {logging.DEBUG: "Verbose", logging.INFO: "Information", logging.WARNING: "Warning"}
"""Python level -> the ECMA name written in the logs; ERROR and above are `Error`."""


def level_name(levelno: int) -> str:
    return "Error" if levelno >= logging.ERROR else LEVEL_NAMES.get(levelno, "Verbose")


class request_context:  # lower case: used like the function it replaced, `with request_context(name, id):`
    """Tag every record logged inside the block with this connector and request id. A class rather than a
    `@contextmanager` generator: it runs on every request."""

    __slots__ = ("_connector", "_connector_token", "_request_id", "_request_token")

    def __init__(self, connector: str | None, request_id: str) -> None:
        self._connector = connector
        self._request_id = request_id

    def __enter__(self) -> None:
        self._connector_token = current_connector.set(self._connector)
        self._request_token = current_request_id.set(self._request_id)

    def __exit__(self, *exc: object) -> None:
        current_connector.reset(self._connector_token)
        current_request_id.reset(self._request_token)


class ContextFilter(logging.Filter):
    """Adds `connector` and `request_id` to each record (from the record's `extra`, else the context)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "connector"):
            record.connector = current_connector.get()
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True


def _timestamp(record: logging.LogRecord) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


class TextFormatter(logging.Formatter):
    """`<UTC time> <Level> <connector|-> <logger>: <message>`; a traceback follows on its own lines."""

    def format(self, record: logging.LogRecord) -> str:
        connector = getattr(record, "connector", None) or NO_CONNECTOR
        line = f"{_timestamp(record)} {level_name(record.levelno):<11} {connector} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact_text(line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, connector, logger, message, request_id, exception, plus the
    request fields the request log adds (`http`)."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": _timestamp(record),
            "level": level_name(record.levelno),
            "connector": getattr(record, "connector", None),
            "logger": record.name,
            "message": redact_text(record.getMessage()),
        }
        if getattr(record, "request_id", None):
            data["request_id"] = record.request_id
        if hasattr(record, "http"):
            data["http"] = {k: redact_text(v) if isinstance(v, str) else v for k, v in record.http.items()}
        if record.exc_info:
            data["exception"] = redact_text(self.formatException(record.exc_info))
        return orjson.dumps(data, default=str).decode()


def apply_levels(levels: LogLevels) -> None:
    """Set both sources' levels; takes effect for the next record logged, in every thread."""
    logging.getLogger(HOST_LOGGER).setLevel(levels.host.python_level)
    logging.getLogger(SERVER_LOGGER).setLevel(levels.host.python_level)
    logging.getLogger(CONNECTORS_LOGGER).setLevel(levels.connectors.python_level)


@dataclass
class LoggingSetup:
    """The handlers `configure_logging` attached, so `close()` can detach and close them (tests, demo reruns)."""

    handlers: list[logging.Handler] = field(default_factory=list)

    def close(self) -> None:
        """Detach and close the handlers and give the loggers back their defaults (levels unset, propagating)."""
        for name in (HOST_LOGGER, SERVER_LOGGER):
            logger = logging.getLogger(name)
            for handler in self.handlers:
                logger.removeHandler(handler)
            logger.propagate = True
        for name in (HOST_LOGGER, SERVER_LOGGER, CONNECTORS_LOGGER):
            logging.getLogger(name).setLevel(logging.NOTSET)
        for handler in self.handlers:
            handler.close()
        self.handlers.clear()


def rotating_file_handler(home: Home, settings: HostSettings) -> logging.Handler:
    """The handler of `<home>/logs/ecmahost.log`, safe to share between processes. `backups: 0` keeps what the
    stdlib handler did with it, no rotation at all (the concurrent handler would truncate the file instead). The
    file is created at once, as the stdlib handler did (the concurrent one waits for the first record)."""
    backups = settings.log_file.backups
    path = home.logs_dir / LOG_FILE_NAME
    path.touch()
    return ConcurrentRotatingFileHandler(
        str(path),
        maxBytes=settings.log_file.max_bytes if backups > 0 else 0,
        backupCount=backups,
        encoding="utf-8",
        unicode_error_policy="replace",
    )


def configure_logging(home: Home, settings: HostSettings, *, console: bool) -> LoggingSetup:
    """Attach the rotating file handler (and stderr when `console`) to the host and server loggers, apply the
    levels from `settings`, and return what was attached."""
    home.ensure(home.logs_dir)
    formatter: logging.Formatter = JsonFormatter() if settings.log_format is LogFormat.JSON else TextFormatter()
    handlers: list[logging.Handler] = [rotating_file_handler(home, settings)]
    if console:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(ContextFilter())
    for name in (HOST_LOGGER, SERVER_LOGGER):
        logger = logging.getLogger(name)
        logger.propagate = False
        for handler in handlers:
            logger.addHandler(handler)
    apply_levels(settings.log_levels)
    return LoggingSetup(handlers)
