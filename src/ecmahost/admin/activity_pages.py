"""The Activity page of the admin UI: per connector, a dashboard (operations per minute by outcome over the last
hour, per 15 minutes over the last day, the error rate of the last hour, the last request, the target's state as
the last operation that reached it saw it), then the operations themselves with the CLI's filters and a search
"what happened to this user?"; each row opens the operation's detail.

Reads the activity journal (`observability.activity_store`); draws the charts with `admin.charts`. It writes
nothing and needs no running host: the journal file is the host's record.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ecmahost.admin.charts import Bucket, bar_chart
from ecmahost.admin.pages import render, state
from ecmahost.config.store import ConnectorStore
from ecmahost.observability import activity_store as store

SINCE = {"15m": 900, "1h": 3600, "24h": 86400, "7d": 7 * 86400, "all": None}
HOUR_BUCKETS = 60
DAY_BUCKETS = 96
DAY_BUCKET_SECONDS = 900
MAX_ROWS = 200


@dataclass
class Panel:
    """One connector's dashboard figures."""

    name: str
    hour: list[Bucket] = field(default_factory=list)
    day: list[Bucket] = field(default_factory=list)
    last: dict[str, Any] | None = None
    target: dict[str, Any] | None = None

    @property
    def hour_total(self) -> int:
        return sum(bucket.ok + bucket.failed for bucket in self.hour)

    @property
    def hour_failed(self) -> int:
        return sum(bucket.failed for bucket in self.hour)

    @property
    def error_rate(self) -> str:
        return f"{self.hour_failed / self.hour_total:.0%}" if self.hour_total else "-"

    @property
    def target_state(self) -> str:
        if self.target is None:
            return "not reached yet"
        return "down (503)" if self.target["status"] == 503 else "answering"

    def charts(self) -> tuple[Any, Any]:
        return (
            bar_chart(self.hour, f"{self.name}, last hour, operations per minute"),
            bar_chart(self.day, f"{self.name}, last 24 hours, operations per 15 minutes"),
        )


def clock(at: float) -> str:
    return datetime.fromtimestamp(at).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _buckets(start: float, count: int, seconds: int) -> list[Bucket]:
    return [Bucket(datetime.fromtimestamp(start + i * seconds).astimezone().strftime("%H:%M")) for i in range(count)]


def _fill(panels: dict[str, Panel], rows: list[tuple[str, int, str, int]], attribute: str) -> None:
    for name, index, outcome, number in rows:
        buckets: list[Bucket] = getattr(panels[name], attribute)
        if 0 <= index < len(buckets):
            bucket = buckets[index]
            buckets[index] = Bucket(bucket.label, bucket.ok + number * (outcome == "ok"),
                                    bucket.failed + number * (outcome == "failed"))  # fmt: skip


def dashboard(connection: Any, names: list[str], now: float) -> list[Panel]:
    """A panel per connector (configured or seen in the journal), oldest bucket first."""
    last = store.last_per_connector(connection)
    targets = store.last_per_connector(connection, skip_verb="discovery")
    hour_start = now - HOUR_BUCKETS * 60
    day_start = now - DAY_BUCKETS * DAY_BUCKET_SECONDS
    panels = {
        name: Panel(
            name,
            _buckets(hour_start, HOUR_BUCKETS, 60),
            _buckets(day_start, DAY_BUCKETS, DAY_BUCKET_SECONDS),
            last.get(name),
            targets.get(name),
        )
        for name in sorted({*names, *last})
    }
    _fill(panels, store.counts(connection, since=hour_start, bucket_seconds=60), "hour")
    _fill(panels, store.counts(connection, since=day_start, bucket_seconds=DAY_BUCKET_SECONDS), "day")
    return list(panels.values())


def last_requests(home: Any) -> dict[str, dict[str, Any]]:
    """Each connector's last recorded operation, for the Connectors page; empty without a journal."""
    connection = store.open_for_reading(home)
    if connection is None:
        return {}
    try:
        return store.last_per_connector(connection)
    finally:
        connection.close()


def _query(request: Request) -> tuple[store.Query, dict[str, str]]:
    params = {key: request.query_params.get(key, "").strip() for key in ("connector", "user", "outcome", "since")}
    params["since"] = params["since"] if params["since"] in SINCE else "24h"
    seconds = SINCE[params["since"]]
    query = store.Query(
        connector=params["connector"] or None,
        user=params["user"] or None,
        outcome=params["outcome"] if params["outcome"] in ("ok", "failed") else None,
        since=time.time() - seconds if seconds is not None else None,
        limit=MAX_ROWS,
    )
    return query, params


async def activity_page(request: Request) -> Response:
    home = state(request).home
    names = ConnectorStore(home).list()
    query, params = _query(request)
    connection = store.open_for_reading(home)
    if connection is None:
        return render(request, "activity.html", panels=[], rows=[], params=params, names=names, since=list(SINCE),
                      journal=False, clock=clock)  # fmt: skip
    try:
        panels = dashboard(connection, names, time.time())
        rows = list(reversed(store.search(connection, query)))  # newest first on a page
    finally:
        connection.close()
    return render(request, "activity.html", panels=panels, rows=rows, params=params, names=names, since=list(SINCE),
                  journal=True, clock=clock)  # fmt: skip


async def operation_page(request: Request) -> Response:
    connection = store.open_for_reading(state(request).home)
    row = None
    if connection is not None:
        try:
            row = store.by_request_id(connection, request.path_params["request_id"])
        finally:
            connection.close()
    return render(request, "activity_detail.html", 200 if row else 404, row=row, clock=clock,
                  request_id=request.path_params["request_id"])  # fmt: skip


ROUTES = [
    ("/activity", activity_page, ["GET"]),
    ("/activity/{request_id}", operation_page, ["GET"]),
]
