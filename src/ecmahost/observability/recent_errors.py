"""The last target errors of each connector (a 503 when the target is down, a 500 when a request failed), kept in
memory with their time so `ecmahost status` can show them (through `run/state.json`).

Bounded: the newest `per_connector` errors of each connector. Details are redacted when added. Not thread-safe by
design: the host records from its one event loop.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from ecmahost.observability.redaction import redact_text

DEFAULT_PER_CONNECTOR = 10
MAX_DETAIL = 500


@dataclass(frozen=True, slots=True)
class TargetErrorEvent:
    at: float
    """Unix time"""
    status: int
    detail: str
    request_id: str


class RecentErrors:
    def __init__(self, per_connector: int = DEFAULT_PER_CONNECTOR) -> None:
        self.per_connector = per_connector
        self._events: dict[str, deque[TargetErrorEvent]] = {}
        self.version = 0
        """increases with each error, so a writer knows when there is something new"""

    def add(self, connector: str, status: int, detail: str, request_id: str) -> None:
        events = self._events.setdefault(connector, deque(maxlen=self.per_connector))
        events.append(TargetErrorEvent(time.time(), status, redact_text(detail)[:MAX_DETAIL], request_id))
        self.version += 1

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Connector name -> its errors, newest last, as JSON-ready dicts."""
        return {name: [asdict(event) for event in events] for name, events in self._events.items()}
