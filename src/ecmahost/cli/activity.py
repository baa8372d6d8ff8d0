"""`ecmahost activity [--connector X] [--user U] [--outcome failed] [--since 1h] [--follow] [--json]` and
`ecmahost activity show REQUEST_ID`: what the provisioning service did, from the host's activity journal.

The list answers "was alice created, and when?", "what failed in the last cycle?", "is anything arriving?"; `show`
prints one operation whole (with its request and response bodies when the host recorded them at Verbose, already
redacted). Reads `<home>/activity/activity.db` (`observability.activity_store`); never writes it.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ecmahost.cli.common import HomeOption, fail, open_home, reported_errors, stdout, warn

if TYPE_CHECKING:
    import sqlite3

app = typer.Typer(
    help="What the provisioning service did: recent SCIM operations from the activity journal.",
    no_args_is_help=False,
    invoke_without_command=True,
)

FOLLOW_SECONDS = 1.0
TABLE_WIDTH = 150
"""the table is laid out at least this wide (a narrower terminal wraps its lines rather than fold every cell)"""
ID_SHOWN = 12
"""leading hex digits of the request id the table shows; `show` takes such a prefix"""
_SINCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


SHOWN = (
    "time", "connector", "object_type", "verb", "method", "resource_id", "user_name", "display_name", "external_id",
    "attributes", "outcome", "status", "scim_type", "detail", "duration_ms", "request_id", "client",
)  # fmt: skip
"""the fields `show` prints, in this order (the bodies follow)"""


class Outcome(StrEnum):
    OK = "ok"
    FAILED = "failed"


def parse_since(text: str) -> float:
    """`30m`, `1h`, `2d`, `45s` -> seconds; anything else is a usage error naming the valid forms."""
    match = _SINCE.match(text)
    if match is None:
        raise typer.BadParameter(f"{text!r}: give a number and a unit, e.g. 30m, 1h, 2d (s, m, h or d)")
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


def _open(home: HomeOption) -> sqlite3.Connection | None:
    from ecmahost.observability.activity_store import journal_path, open_for_reading

    where = open_home(home)
    connection = open_for_reading(where)
    if connection is None:
        warn(
            f"no activity journal at {journal_path(where)} yet: the host records each SCIM operation once it serves "
            "one (`ecmahost serve`; `activity: enabled` in host.yaml)"
        )
    return connection


def _when(at: float) -> str:
    return datetime.fromtimestamp(at).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _object(row: dict[str, Any]) -> str:
    return row["user_name"] or row["display_name"] or row["external_id"] or row["resource_id"] or ""


def public(row: dict[str, Any]) -> dict[str, Any]:
    """A row as `--json` prints it: the time as ISO 8601 too, `seq` left out."""
    data = {key: value for key, value in row.items() if key != "seq"}
    data["time"] = datetime.fromtimestamp(row["at"]).astimezone().isoformat(timespec="milliseconds")
    return data


def _result(row: dict[str, Any]) -> str:
    return " ".join(str(part) for part in (row["outcome"], row["status"], row["scim_type"]) if part)


def _table(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False)
    for column in ("time", "connector", "operation", "object", "attributes", "result", "ms", "request id"):
        table.add_column(column, overflow="fold", no_wrap=column in ("time", "request id"))
    for row in rows:
        table.add_row(
            _when(row["at"]),
            row["connector"],
            " ".join(part for part in (row["verb"], row["object_type"]) if part),
            _object(row),
            row["attributes"] or "",
            _result(row),
            f"{row['duration_ms']:.1f}",
            row["request_id"][:ID_SHOWN],
            style="red" if row["outcome"] == "failed" else None,
        )
    from rich.console import Console

    Console(width=max(stdout.width, TABLE_WIDTH), highlight=False, file=stdout.file).print(table)


def _print(rows: list[dict[str, Any]], as_json: bool, *, lines: bool) -> None:
    if as_json:
        if lines:
            for row in rows:
                stdout.out(json.dumps(public(row)), highlight=False)
        else:
            stdout.out(json.dumps([public(row) for row in rows], indent=2), highlight=False)
    elif rows:
        _table(rows)


@app.callback()
def activity_command(
    context: typer.Context,
    connector: Annotated[str | None, typer.Option("--connector", help="Only this connector's operations.")] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user", help="Only operations on this object: its userName, displayName, externalId or id (exact)."
        ),
    ] = None,
    outcome: Annotated[
        Outcome | None, typer.Option("--outcome", case_sensitive=False, help="Only ok or only failed operations.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only operations of the last 30m, 1h, 2d, ... (s, m, h, d).")
    ] = None,
    lines: Annotated[int, typer.Option("--lines", "-n", min=1, help="How many of the last operations to show.")] = 50,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new operations (Ctrl+C to stop).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (one object per line with --follow).")] = False,
    home: HomeOption = None,
) -> None:
    """Show recent SCIM operations (newest last), filtered; `show REQUEST_ID` for one operation whole."""
    if context.invoked_subcommand is not None:
        return
    from ecmahost.observability.activity_store import Query, search

    seconds = parse_since(since) if since is not None else None
    with reported_errors():
        connection = _open(home)
        if connection is None:
            raise typer.Exit(0)
        query = Query(
            connector=connector,
            user=user,
            outcome=outcome.value if outcome else None,
            since=time.time() - seconds if seconds is not None else None,
            limit=lines,
        )
        rows = search(connection, query)
        if not rows and not follow and not as_json:
            stdout.out("No operation matches.", highlight=False)
        _print(rows, as_json, lines=follow)
        if follow:
            _follow(connection, query, rows[-1]["seq"] if rows else _last_seq(connection), as_json)


def _last_seq(connection: sqlite3.Connection) -> int:
    return int(connection.execute("SELECT coalesce(max(seq), 0) FROM operations").fetchone()[0])


def _follow(connection: sqlite3.Connection, query: Any, seq: int, as_json: bool) -> None:
    from dataclasses import replace

    from ecmahost.observability.activity_store import search

    try:
        while True:
            time.sleep(FOLLOW_SECONDS)
            rows = search(connection, replace(query, after_seq=seq, since=None, limit=10_000))
            if rows:
                _print(rows, as_json, lines=True)
                seq = rows[-1]["seq"]
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


@app.command("show")
def show_command(
    request_id: Annotated[str, typer.Argument(help="The request id (X-Request-Id, in the list and the log).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the operation as JSON.")] = False,
    home: HomeOption = None,
) -> None:
    """Show one operation whole, with its request and response as recorded at the level in force (redacted)."""
    from ecmahost.observability.activity_store import by_request_id

    with reported_errors():
        connection = _open(home)
        if connection is None:
            raise typer.Exit(1)
        row = by_request_id(connection, request_id.strip())
    if row is None:
        fail(
            f"no operation with request id {request_id!r} in the journal "
            "(older ones are pruned; `ecmahost activity` lists the recent ones)"
        )
    if as_json:
        stdout.out(json.dumps(public(row), indent=2), highlight=False)
        return
    data = public(row)
    for key in SHOWN:
        if data.get(key) is not None:
            stdout.out(f"{key + ':':<14} {data[key]}", highlight=False)
    if row["request_body"] is None and row["response_body"] is None:
        stdout.out(
            "bodies:        not recorded (the host keeps them only at Verbose: `ecmahost log-level Verbose`)",
            highlight=False,
        )
    else:
        stdout.out(f"request body:  {row['request_body'] or '-'}", highlight=False)
        stdout.out(f"response body: {row['response_body'] or '-'}", highlight=False)
