"""What the activity journal tells the troubleshooting tools: whether a connector received any request recently
(`test-connection`'s "is Entra reaching me at all?" step) and the last hours of the journal for the support
archive, identifiers only (the bodies recorded at Verbose are left out).

Reads `<home>/activity/activity.db` through `observability.activity_store`; never writes it.
"""

from __future__ import annotations

import time
from typing import Any

from ecmahost.home import Home
from ecmahost.observability import activity_store as store
from ecmahost.troubleshoot.steps import Step, passed, skipped, warned

STEP = "recent requests"
RECENT_SECONDS = 3600
"""Entra's provisioning service runs a cycle about every 40 minutes: nothing within an hour means it is not
reaching this connector (or has nothing to do and no schedule running)"""
ARCHIVE_LIMIT = 20_000
BODIES = ("request_body", "response_body")


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds / 86400:.1f} days ago"


def _describe(row: dict[str, Any]) -> str:
    operation = " ".join(part for part in (row["method"], row["verb"], row["object_type"]) if part)
    return f"{operation} -> {row['status']} ({row['outcome']})"


def recent_requests_step(home: Home, connector: str, now: float | None = None) -> Step:
    """Whether `connector` received a request within the last hour, and when and what the last one was. Read
    before the test sends its own requests, so they do not count."""
    connection = store.open_for_reading(home)
    if connection is None:
        return skipped(STEP, f"no activity journal in {home.relative(store.journal_path(home))} (the host has not "
                       "served a request yet, or `activity: enabled: false` in host.yaml)")  # fmt: skip
    try:
        last = store.last_at(connection, connector)
    finally:
        connection.close()
    if last is None:
        return warned(
            STEP,
            f"connector {connector} has received no request at all (in the journal's retention): Entra is not "
            "reaching it. Check the Tenant URL's host, port and name, the agent's network path, and that "
            "provisioning is started",
        )
    age = (now if now is not None else time.time()) - last["at"]
    detail = f"last request {_ago(age)}: {_describe(last)}"
    if age > RECENT_SECONDS:
        return warned(STEP, f"{detail}; nothing within the last hour: is provisioning running and reaching the host?")
    return passed(STEP, detail)


def recent_activity(home: Home, hours: float, now: float | None = None) -> list[dict[str, Any]]:
    """The journal's records of the last `hours`, oldest first, without the bodies kept at Verbose."""
    connection = store.open_for_reading(home)
    if connection is None:
        return []
    since = (now if now is not None else time.time()) - hours * 3600
    try:
        rows = store.search(connection, store.Query(since=since, limit=ARCHIVE_LIMIT))
    finally:
        connection.close()
    return [{key: value for key, value in row.items() if key not in BODIES} for row in rows]
