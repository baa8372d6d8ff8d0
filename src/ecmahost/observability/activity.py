"""The activity journal: one record per answered SCIM operation, written off the request path.

`ActivityJournal.record` is all a request pays: it appends the raw facts (already at hand in the request observer)
to a bounded deque, or drops and counts them when the deque is full; it never blocks and never does I/O. A writer
thread wakes every `FLUSH_SECONDS`, turns what waits into records and writes them in one transaction
(`activity_store`), and prunes by age and size every `PRUNE_SECONDS`.

What a record holds: time, connector, object type, verb, the object's identifiers as the client knows them
(`userName`, `displayName`, `externalId` of the request or response body, the id of the path or response, the
value of an `eq` filter on one of them), the names of the attributes the request changes, outcome, status, SCIM
error type and detail, duration, request id and the client's address (behind the relay, the SCIM client's as the
relay saw it, not the agent's: `agent.forwarder`). Never a header, so never a token. Attribute values only when the
request log is at Verbose, and then redacted as the request log redacts them (`redaction.redact_json`). A PATCH
names only the id: its other identifiers are taken from earlier records of that id (kept in memory, bounded).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict, deque
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

import orjson

from ecmahost.home import Home
from ecmahost.observability import activity_store as store
from ecmahost.observability.redaction import redact_json, redact_text
from ecmahost.settings import ActivitySettings

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.5
PRUNE_SECONDS = 60.0
MAX_WAITING = 10_000
"""records waiting for the writer; past it, new ones are dropped and counted"""
MAX_KNOWN = 20_000
"""ids whose identifiers the writer remembers for the PATCH and DELETE records that carry only the id"""
YIELD_EVERY = 32
"""records built between two hand-backs of the GIL to the request thread"""
MAX_DETAIL = 500
MAX_BODY = 64 * 1024
OBJECT_TYPES = {"users": "User", "groups": "Group"}
IDENTIFIERS = ("userName", "displayName", "externalId")
NOT_CHANGES = frozenset({"schemas", "meta", "id"})
_EQ_FILTER = re.compile(r'^\s*(userName|displayName|externalId|id)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)
_QUOTED = re.compile(r"'[^']*(?:'|$)|\"[^\"]*(?:\"|$)")
_CANONICAL = {name.lower(): name for name in (*IDENTIFIERS, "id")}
_PARSED_VERBS = frozenset({"create", "get", "replace", "patch"})
"""verbs whose successful response names the object (search and discovery responses are not parsed)"""


class Answered(NamedTuple):
    """The raw facts of one answered request, as the request observer has them."""

    at: float
    connector: str
    verb: str
    method: str
    target: str
    status: int
    seconds: float
    request_id: str
    request_body: Any
    response_body: Any
    verbose: bool
    client: str | None = None


def _loads(body: Any) -> Any:
    if isinstance(body, bytes | bytearray | memoryview) and body:
        try:
            return orjson.loads(bytes(body))
        except orjson.JSONDecodeError:
            return None
    return None


def _object_type_and_id(path: str) -> tuple[str | None, str | None]:
    """`/ecma2host_X/scim/Users/<id>` -> ("User", "<id>"); discovery paths -> (None, None)."""
    parts = path.split("/scim/", 1)[-1].split("/")
    object_type = OBJECT_TYPES.get(parts[0].lower())
    if object_type is None:
        return None, None
    return object_type, parts[1] if len(parts) > 1 and parts[1] else None


def _filter_identifier(query: str) -> tuple[str, str] | None:
    """Entra's matching query `userName eq "alice"` -> ("userName", "alice")."""
    value = dict(parse_qsl(query, keep_blank_values=True)).get("filter")
    match = _EQ_FILTER.match(value or "")
    if match is None:
        return None
    return _CANONICAL[match.group(1).lower()], match.group(2).replace('\\"', '"')


def changed_attributes(verb: str, body: Any) -> list[str]:
    """The names of the attributes a create, replace or PATCH sets, in the order sent; values are not read."""
    if not isinstance(body, dict):
        return []
    if verb == "patch":
        names: list[str] = []
        for operation in body.get("Operations") or []:
            if not isinstance(operation, dict):
                continue
            path = operation.get("path")
            if isinstance(path, str) and path:
                names.append(re.sub(r"\[[^\]]*\]", "", path))
            elif isinstance(operation.get("value"), dict):
                names += _keys(operation["value"], skip_empty=False)
        return list(dict.fromkeys(names))
    if verb in ("create", "replace"):
        return _keys(body, skip_empty=verb == "create")
    return []


def _keys(body: dict[str, Any], *, skip_empty: bool) -> list[str]:
    names = []
    for key, value in body.items():
        if key in NOT_CHANGES or (skip_empty and value in (None, [], {})):
            continue
        if key.lower().startswith("urn:") and isinstance(value, dict):
            names += [name for name, item in value.items() if not (skip_empty and item in (None, [], {}))]
        else:
            names.append(key)
    return names


def _identifiers(*bodies: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for body in bodies:
        if isinstance(body, dict):
            for name in (*IDENTIFIERS, "id"):
                value = body.get(name)
                if isinstance(value, str) and value and name not in found:
                    found[name] = value[:256]
    return found


def _detail(detail: str, verbose: bool) -> str:
    """The error detail the client was told: below Verbose with its quoted parts (a value it echoes, such as
    `got 'abc'`) masked, since the journal holds no value below Verbose; redacted at every level."""
    text = detail[:MAX_DETAIL]
    return redact_text(text if verbose else _QUOTED.sub("'…'", text))


def _verbose_text(body: Any) -> str | None:
    if body is None or (isinstance(body, bytes | bytearray | memoryview) and not body):
        return None
    parsed = _loads(body) if isinstance(body, bytes | bytearray | memoryview) else body
    text = orjson.dumps(redact_json(parsed)).decode() if parsed is not None else f"<{len(body)} bytes, not JSON>"
    return text if len(text) <= MAX_BODY else text[:MAX_BODY] + "...(truncated)"


class RecordBuilder:
    """Turns `Answered` facts into store rows (in the writer thread), remembering each object's identifiers."""

    def __init__(self) -> None:
        self.known: OrderedDict[tuple[str, str, str], dict[str, str]] = OrderedDict()

    def row(self, answered: Answered) -> tuple[Any, ...]:
        path, _, query = answered.target.partition("?")
        object_type, path_id = _object_type_and_id(path)
        failed = answered.status >= 400
        response = _loads(answered.response_body) if failed or answered.verb in _PARSED_VERBS else None
        request = answered.request_body if answered.verb in ("create", "replace") else None
        found = _identifiers(request, None if failed else response)
        if path_id:
            found["id"] = path_id[:256]
        if answered.verb == "search" and (pair := _filter_identifier(query)) is not None:
            found.setdefault(pair[0], pair[1][:256])
        found = self._remembered(answered.connector, object_type, found)
        error = response if failed and isinstance(response, dict) else {}
        detail = error.get("detail")
        return (
            answered.at,
            answered.connector,
            object_type,
            answered.verb,
            answered.method,
            found.get("id"),
            found.get("userName"),
            found.get("displayName"),
            found.get("externalId"),
            ", ".join(name for name in changed_attributes(answered.verb, answered.request_body)) or None,
            "failed" if failed else "ok",
            answered.status,
            error.get("scimType") if isinstance(error.get("scimType"), str) else None,
            _detail(detail, answered.verbose) if isinstance(detail, str) else None,
            round(answered.seconds * 1000, 3),
            answered.request_id,
            _verbose_text(answered.request_body) if answered.verbose else None,
            _verbose_text(answered.response_body) if answered.verbose else None,
            answered.client,
        )

    def _remembered(self, connector: str, object_type: str | None, found: dict[str, str]) -> dict[str, str]:
        """`found` completed with what earlier records of the same id named, and remembered for later ones."""
        resource_id = found.get("id")
        if resource_id is None:
            return found
        key = (connector, object_type or "", resource_id)  # a User and a Group may share an id
        merged = {**self.known.pop(key, {}), **found}
        self.known[key] = merged
        if len(self.known) > MAX_KNOWN:
            self.known.popitem(last=False)
        return merged


class ActivityJournal:
    """The host's journal: `record` from the request path, `start`/`stop` from the app's lifespan."""

    def __init__(self, path: Path, *, retention_days: float, max_megabytes: float) -> None:
        self.path = path
        self.retention_seconds = retention_days * 86400
        self.max_bytes = int(max_megabytes * 1024 * 1024)
        self.waiting: deque[Answered] = deque()
        self.limit = MAX_WAITING
        """0 once the writer is gone (stopped, or the file could not be opened): nothing more is queued"""
        self.dropped = 0
        """operations not recorded because the queue was full (only the request thread adds to it)"""
        self.reported = 0
        self.written = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record(
        self,
        connector: str,
        verb: str,
        method: str,
        target: str,
        status: int,
        seconds: float,
        request_id: str,
        request_body: Any,
        response_body: Any,
        verbose: bool,
        client: str | None = None,
    ) -> None:
        """Queue one answered request; never blocks (a full queue drops it and counts the drop)."""
        if len(self.waiting) >= self.limit:
            self.dropped += 1
            return
        self.waiting.append(
            Answered(
                time.time() - seconds,
                connector,
                verb,
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
        )

    def start(self) -> None:
        self._stop.clear()
        self.limit = MAX_WAITING
        self._thread = threading.Thread(target=self._run, name="ecmahost-activity", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Write what waits and stop the writer."""
        self._stop.set()
        self.limit = 0
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        try:
            connection = store.connect(self.path)
        except Exception:
            logger.exception("the activity journal %s cannot be opened; operations are not recorded", self.path)
            self.limit = 0
            self.waiting.clear()
            return
        builder = RecordBuilder()
        next_prune = 0.0
        try:
            while True:
                stopping = self._stop.wait(FLUSH_SECONDS)
                self._flush(connection, builder)
                if time.monotonic() >= next_prune or stopping:
                    self._prune(connection)
                    next_prune = time.monotonic() + PRUNE_SECONDS
                if stopping:
                    return
        finally:
            connection.close()

    def flush_now(self, connection: Any, builder: RecordBuilder) -> None:
        """Write what waits (the writer's step, public for tests that drive it without the thread)."""
        self._flush(connection, builder)

    def _flush(self, connection: Any, builder: RecordBuilder) -> None:
        rows = []
        while self.waiting:
            answered = self.waiting.popleft()
            try:
                rows.append(builder.row(answered))
            except Exception:
                logger.exception("activity record of request %s could not be built", answered.request_id)
            if len(rows) % YIELD_EVERY == 0:
                time.sleep(0)  # hand the GIL back to the event loop: a long batch must not delay requests
        dropped = self.dropped
        if dropped > self.reported:
            logger.warning(
                "activity journal: %d operation(s) not recorded (the writer fell behind)", dropped - self.reported
            )
            self.reported = dropped
        if not rows:
            return
        try:
            store.insert(connection, rows)
            self.written += len(rows)
        except Exception:
            logger.exception("activity journal: %d record(s) could not be written to %s", len(rows), self.path)

    def _prune(self, connection: Any) -> None:
        try:
            store.prune(connection, retention_seconds=self.retention_seconds, max_bytes=self.max_bytes)
        except Exception:
            logger.exception("activity journal: pruning %s failed", self.path)


def open_journal(home: Path, settings: ActivitySettings) -> ActivityJournal | None:
    """The journal of the host whose home is `home`, or None when `host.yaml` turns it off."""
    if not settings.enabled:
        return None
    path = store.journal_path(Home(home))
    return ActivityJournal(path, retention_days=settings.retention_days, max_megabytes=settings.max_megabytes)
