"""What the host records about each SCIM request once it is answered: the request log line, the metrics and, for
a 5xx answer, the connector's recent errors; and, when the journal is on, the operation's activity record
(`observability.activity`, queued here and written by its own thread).

At Information the `ecmahost.http.requests` logger writes one line per request (method, path and query, status,
duration, the client's address, request id; the connector is added by the log setup). At Verbose a second line
carries the request and response bodies with secret attributes masked (`redact_json`). A 503 (the target is down)
or 500 is also logged at Error, counted as a target error and kept in `RecentErrors`. Nothing here reads a header,
so no token can leak.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from ecmahost.observability.activity import ActivityJournal
from ecmahost.observability.metrics import Metrics
from ecmahost.observability.recent_errors import RecentErrors
from ecmahost.observability.redaction import redact_json

logger = logging.getLogger("ecmahost.http.requests")
MAX_LOGGED_BODY = 64 * 1024


def _body_text(body: Any) -> str:
    if body is None:
        return "-"
    if isinstance(body, bytes | bytearray | memoryview):
        if not body:
            return "-"
        try:
            body = orjson.loads(bytes(body))
        except orjson.JSONDecodeError:
            return f"<{len(body)} bytes, not JSON>"
    text = orjson.dumps(redact_json(body)).decode()
    return text if len(text) <= MAX_LOGGED_BODY else text[:MAX_LOGGED_BODY] + "...(truncated)"


class RequestObserver:
    """Records answered requests; one instance per app, shared by every endpoint."""

    def __init__(
        self, metrics: Metrics | None, recent_errors: RecentErrors, journal: ActivityJournal | None = None
    ) -> None:
        self.metrics = metrics
        self.recent_errors = recent_errors
        self.journal = journal

    def answered(
        self,
        *,
        method: str,
        target: str,
        connector: str | None,
        operation: str,
        status: int,
        seconds: float,
        request_id: str,
        request_body: Any = None,
        response_body: Any = None,
        client: str | None = None,
    ) -> None:
        """`target` is the path with its query string; `connector` None when the name matched no connector;
        `client` the client's address (behind the relay, the SCIM client's, not the agent's)."""
        if self.metrics is not None:
            self.metrics.observe(connector, operation, status, seconds)
        if self.journal is not None and connector is not None:
            verbose = logger.isEnabledFor(logging.DEBUG)
            self.journal.record(
                connector,
                operation,
                method,
                target,
                status,
                seconds,
                request_id,
                request_body,
                response_body,
                verbose,
                client,
            )
        if logger.isEnabledFor(logging.INFO):
            milliseconds = seconds * 1000
            http = {
                "method": method,
                "target": target,
                "status": status,
                "duration_ms": round(milliseconds, 1),
                "client": client,
            }
            logger.info(
                "%s %s -> %d in %.1f ms from %s (request %s)",
                method,
                target,
                status,
                milliseconds,
                client or "-",
                request_id,
                extra={"http": http},
            )
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "request %s body: %s; response body: %s",
                    request_id,
                    _body_text(request_body),
                    _body_text(response_body),
                )

    def failed(self, *, connector: str, status: int, kind: str, detail: str, request_id: str) -> None:
        """A 5xx answer: the target is down (503) or the request failed inside the host (500)."""
        logger.error("%s answered %d (%s): %s (request %s)", connector, status, kind, detail, request_id)
        if self.metrics is not None:
            self.metrics.target_error(connector, kind)
        self.recent_errors.add(connector, status, detail, request_id)
