"""The activity journal's SQLite file, `<home>/activity/activity.db`: its schema, writing batches, pruning, and
the queries `ecmahost activity` and the troubleshooting tools ask.

One table, one row per SCIM operation. The file is in WAL mode with a busy timeout, so the workers of
`serve --workers N` each write to it (one short transaction per batch) while the CLI reads it. Bounded by age
(`prune` deletes rows older than the retention) and by size (past the cap it deletes the oldest rows until the
used pages are under 90% of it; `auto_vacuum = INCREMENTAL` hands freed pages back to the file system). This
module stores what it is given: what a record may hold (no secret, no value below Verbose) is decided by
`observability.activity`.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecmahost.home import Home, ensure_private_dir

FOLDER = "activity"
FILE_NAME = "activity.db"
BUSY_TIMEOUT_MS = 5000
PRUNE_TARGET = 0.9
"""past the size cap, the oldest rows are deleted until the used pages are under this share of the cap"""

COLUMNS = (
    "at",
    "connector",
    "object_type",
    "verb",
    "method",
    "resource_id",
    "user_name",
    "display_name",
    "external_id",
    "attributes",
    "outcome",
    "status",
    "scim_type",
    "detail",
    "duration_ms",
    "request_id",
    "request_body",
    "response_body",
    "client",
)
"""A record's fields, in the order `insert` takes them. `at` is Unix time (seconds), `attributes` the changed
attribute names joined by ", ", the two bodies only at Verbose (redacted), `client` the client's IP address."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS operations (
    seq INTEGER PRIMARY KEY,
    at REAL NOT NULL, connector TEXT NOT NULL, object_type TEXT, verb TEXT NOT NULL, method TEXT NOT NULL,
    resource_id TEXT, user_name TEXT, display_name TEXT, external_id TEXT, attributes TEXT,
    outcome TEXT NOT NULL, status INTEGER NOT NULL, scim_type TEXT, detail TEXT, duration_ms REAL NOT NULL,
    request_id TEXT NOT NULL, request_body TEXT, response_body TEXT, client TEXT
);
CREATE INDEX IF NOT EXISTS operations_at ON operations (at);
CREATE INDEX IF NOT EXISTS operations_connector_at ON operations (connector, at);
CREATE INDEX IF NOT EXISTS operations_request_id ON operations (request_id);
CREATE INDEX IF NOT EXISTS operations_resource ON operations (connector, object_type, resource_id);
"""
_INSERT = f"INSERT INTO operations ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


def journal_path(home: Home) -> Path:
    return home.root / FOLDER / FILE_NAME


def connect(path: Path, *, create: bool = True) -> sqlite3.Connection:
    """A connection in WAL mode with a busy timeout (several processes write the same file)."""
    if create:
        ensure_private_dir(path.parent)
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    connection.row_factory = sqlite3.Row
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if create:
        connection.execute("PRAGMA auto_vacuum = INCREMENTAL")  # only takes effect on a new file
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at checkpoints, never corrupt
        connection.executescript(_SCHEMA)
        _add_missing_columns(connection)
        path.chmod(0o600)
    return connection


_ADDED_COLUMNS = {"client": "TEXT"}
"""columns added since the first schema: a journal written by an older host gets them when a host opens it"""


def _add_missing_columns(connection: sqlite3.Connection) -> None:
    """Add `_ADDED_COLUMNS` a file lacks, under the write lock (the workers of one host open it at once)."""
    with _transaction(connection):
        present = {row["name"] for row in connection.execute("PRAGMA table_info(operations)")}
        for name, kind in _ADDED_COLUMNS.items():
            if name not in present:
                connection.execute(f"ALTER TABLE operations ADD COLUMN {name} {kind}")


def insert(connection: sqlite3.Connection, rows: Iterable[tuple[Any, ...]]) -> None:
    """Write a batch in one transaction."""
    with _transaction(connection):
        connection.executemany(_INSERT, rows)


def used_bytes(connection: sqlite3.Connection) -> int:
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    free = connection.execute("PRAGMA freelist_count").fetchone()[0]
    size = connection.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)


def prune(connection: sqlite3.Connection, *, retention_seconds: float, max_bytes: int, now: float | None = None) -> int:
    """Delete rows older than the retention, then the oldest rows while the file is over `max_bytes`; return
    how many rows were deleted."""
    cutoff = (now if now is not None else time.time()) - retention_seconds
    with _transaction(connection):
        deleted = connection.execute("DELETE FROM operations WHERE at < ?", (cutoff,)).rowcount
    while used_bytes(connection) > max_bytes:
        count = connection.execute("SELECT count(*) FROM operations").fetchone()[0]
        if not count:
            break
        share = 1 - PRUNE_TARGET * max_bytes / used_bytes(connection)
        oldest = max(1, int(count * share))
        with _transaction(connection):
            deleted += connection.execute(
                "DELETE FROM operations WHERE seq IN (SELECT seq FROM operations ORDER BY at LIMIT ?)", (oldest,)
            ).rowcount
    connection.execute("PRAGMA incremental_vacuum")
    return deleted


@contextlib.contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


@dataclass(frozen=True, slots=True)
class Query:
    """What `ecmahost activity` asks: every field optional; `user` matches any identifier of the object, and
    every operation on an object (same connector, object type and id) one of whose operations matched (a PATCH
    carries only the id)."""

    connector: str | None = None
    user: str | None = None
    outcome: str | None = None
    since: float | None = None
    """Unix time"""
    after_seq: int | None = None
    """only rows written after this one (`--follow`)"""
    limit: int = 50


_IDENTIFIERS = "(user_name = ? OR display_name = ? OR external_id = ? OR resource_id = ?)"


def search(connection: sqlite3.Connection, query: Query) -> list[dict[str, Any]]:
    """The matching rows, newest last (the last `limit` of them)."""
    clauses, params = [], []
    if query.connector is not None:
        clauses.append("connector = ?")
        params.append(query.connector)
    if query.user is not None:
        clauses.append(
            f"({_IDENTIFIERS} OR (connector, object_type, resource_id) IN "
            f"(SELECT connector, object_type, resource_id FROM operations WHERE {_IDENTIFIERS}))"
        )
        params += [query.user] * 8
    if query.outcome is not None:
        clauses.append("outcome = ?")
        params.append(query.outcome)
    if query.since is not None:
        clauses.append("at >= ?")
        params.append(query.since)
    if query.after_seq is not None:
        clauses.append("seq > ?")
        params.append(query.after_seq)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    sql = f"SELECT * FROM (SELECT * FROM operations {where} ORDER BY seq DESC LIMIT ?) ORDER BY seq"
    return [dict(row) for row in connection.execute(sql, [*params, query.limit])]


def by_request_id(connection: sqlite3.Connection, request_id: str) -> dict[str, Any] | None:
    """The operation with this request id, or with the only id that starts with it (the table shows 12 digits)."""
    row = connection.execute("SELECT * FROM operations WHERE request_id = ?", (request_id,)).fetchone()
    if row is None and request_id.isalnum():
        rows = connection.execute(
            "SELECT * FROM operations WHERE request_id >= ? AND request_id < ? LIMIT 2", (request_id, request_id + "~")
        ).fetchall()
        row = rows[0] if len(rows) == 1 else None
    return None if row is None else dict(row)


def last_at(connection: sqlite3.Connection, connector: str) -> dict[str, Any] | None:
    """The connector's last recorded operation."""
    row = connection.execute(
        "SELECT * FROM operations WHERE connector = ? ORDER BY at DESC LIMIT 1", (connector,)
    ).fetchone()
    return None if row is None else dict(row)


def open_for_reading(home: Home) -> sqlite3.Connection | None:
    """A connection to the home's journal, or None when there is none yet (the host never recorded)."""
    path = journal_path(home)
    if not path.is_file():
        return None
    return connect(path, create=False)


def counts(connection: sqlite3.Connection, *, since: float, bucket_seconds: int) -> list[tuple[str, int, str, int]]:
    """(connector, bucket index since `since`, outcome, operations) for the dashboard's charts."""
    rows = connection.execute(
        "SELECT connector, CAST((at - ?) / ? AS INTEGER) AS bucket, outcome, count(*) FROM operations "
        "WHERE at >= ? GROUP BY connector, bucket, outcome",
        (since, bucket_seconds, since),
    )
    return [(str(name), int(bucket), str(outcome), int(number)) for name, bucket, outcome, number in rows]


def last_per_connector(connection: sqlite3.Connection, *, skip_verb: str = "") -> dict[str, dict[str, Any]]:
    """Each connector's last recorded operation (`skip_verb`: other than one of that verb, e.g. discovery)."""
    rows = connection.execute(
        "SELECT o.* FROM operations o JOIN (SELECT connector, max(seq) AS seq FROM operations WHERE verb != ? "
        "GROUP BY connector) l ON o.seq = l.seq",
        (skip_verb,),
    )
    return {row["connector"]: dict(row) for row in rows}
